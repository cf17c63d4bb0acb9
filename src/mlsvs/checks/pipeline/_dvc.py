"""DVC pipelines: ``dvc.yaml`` stages and the digests ``dvc.lock`` recorded for them.

``dvc.lock`` (schema 2.0) records, per stage, the command and an MD5 per dependency and output
(``hash: md5`` from DVC 3; DVC 2 hashed text files after turning CRLF into LF). Directory
entries end in ``.dir``: the digest of DVC's listing of the directory, kept in the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, items, mapping, read_yaml

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A dependency or output of a locked stage."""

    path: str
    md5: str
    dvc3: bool
    """Recorded by DVC 3 (``hash: md5``): the raw file MD5."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """A stage as defined (dvc.yaml) and as locked (dvc.lock, None when never run)."""

    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    locked_cmd: str | None = None
    locked_deps: tuple[Entry, ...] = ()
    locked_outs: tuple[Entry, ...] = ()


def _paths(value: object) -> tuple[str, ...]:
    out: list[str] = []
    for item in items(value):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)  # `- model.pkl: {cache: false}`
    return tuple(out)


def _cmd(value: object) -> str:
    if isinstance(value, list):
        return " && ".join(str(v) for v in value)
    return str(value or "").strip()


def _entries(value: object, rel: str) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for raw in items(value):
        entry = mapping(raw, rel, "a locked dependency or output")
        md5 = entry.get("md5") or entry.get("etag") or entry.get("checksum") or ""
        out.append(
            Entry(path=str(entry.get("path", "")), md5=str(md5), dvc3=entry.get("hash") == "md5")
        )
    return tuple(out)


def read_pipeline(
    yaml_path: Path, yaml_rel: str, lock_path: Path | None, lock_rel: str
) -> tuple[Stage, ...]:
    """Stages of ``dvc.yaml`` joined with ``dvc.lock`` (``foreach``/``matrix`` expanded by
    matching the lock's ``name@key`` entries)."""
    defined = mapping(
        mapping(read_yaml(yaml_path, yaml_rel), yaml_rel, "dvc.yaml").get("stages"),
        yaml_rel,
        "'stages'",
    )
    locked: dict[str, dict[str, object]] = {}
    if lock_path is not None:
        lock = mapping(read_yaml(lock_path, lock_rel), lock_rel, "dvc.lock")
        if str(lock.get("schema", "2.0")) != "2.0":
            raise DocumentError(f"{lock_rel}: unsupported dvc.lock schema {lock.get('schema')!r}")
        raw = mapping(lock.get("stages") or {}, lock_rel, "'stages'")
        locked = {k: mapping(v, lock_rel, f"stage {k!r}") for k, v in raw.items()}
    stages: list[Stage] = []
    for name, raw_stage in defined.items():
        spec = mapping(raw_stage, yaml_rel, f"stage {name!r}")
        if "foreach" in spec or "matrix" in spec:
            names = [k for k in locked if k.startswith(f"{name}@")] or [f"{name}@*"]
            body = mapping(spec.get("do", spec), yaml_rel, f"stage {name!r} 'do'")
        else:
            names, body = [name], spec
        for expanded in names:
            lock_entry = locked.get(expanded)
            stages.append(
                Stage(
                    name=expanded,
                    cmd=_cmd(body.get("cmd")),
                    deps=_paths(body.get("deps")),
                    outs=_paths(body.get("outs"))
                    + _paths(body.get("metrics"))
                    + _paths(body.get("plots")),
                    locked_cmd=_cmd(lock_entry.get("cmd")) if lock_entry else None,
                    locked_deps=_entries(lock_entry.get("deps"), lock_rel) if lock_entry else (),
                    locked_outs=_entries(lock_entry.get("outs"), lock_rel) if lock_entry else (),
                )
            )
    return tuple(stages)


def file_md5(path: Path, *, dvc3: bool) -> tuple[str, str]:
    """(raw MD5, CRLF-normalised MD5 as DVC 2 computed it for text files)."""
    data = path.read_bytes()
    raw = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if dvc3 or b"\x00" in data[:8192]:
        return raw, raw
    return raw, hashlib.md5(data.replace(b"\r\n", b"\n"), usedforsecurity=False).hexdigest()
