"""DVC evidence: ``*.dvc`` files (``outs``) and ``dvc.lock`` (``stages.*.deps/outs``).

Every entry with an ``md5`` is checked against the local file when it is in the workspace (DVC
2 hashed text files after CRLF->LF conversion, so both digests are accepted); an entry whose
file was never pulled is ``not_in_workspace``. A directory output (``md5`` ending ``.dir``) is
verified through the ``.dir`` listing in the local DVC cache when present
(``.dvc/cache/files/md5/ab/cdef....dir`` or, DVC 2, ``.dvc/cache/ab/cdef....dir``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import ManifestFormatError
from mlsvs.datacheck.manifest import safe_relative
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.verify import EvidenceResult, FileCheck, FileState, relative_display

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.datacheck.progress import Progress

_READ = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class DvcOut:
    """One ``path`` + ``md5`` pair of a DVC file."""

    path: str
    md5: str


def md5_file(path: Path) -> tuple[str, str]:
    """MD5 of the raw bytes and of the bytes with CRLF turned into LF (DVC 2 text hashing)."""
    raw, unix = hashlib.md5(usedforsecurity=False), hashlib.md5(usedforsecurity=False)
    carry = b""
    with path.open("rb") as handle:
        while block := handle.read(_READ):
            raw.update(block)
            data = carry + block
            carry = b"\r" if data.endswith(b"\r") else b""
            unix.update(data[: len(data) - len(carry)].replace(b"\r\n", b"\n"))
    unix.update(carry)
    return raw.hexdigest(), unix.hexdigest()


def parse_dvc(text: str, display: str) -> tuple[DvcOut, ...]:
    """The ``path``/``md5`` entries of a ``.dvc`` file or a ``dvc.lock``."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestFormatError(f"{display}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ManifestFormatError(f"{display}: not a DVC file (expected a mapping)")
    items: list[object] = []
    if "outs" in doc:
        items.extend(doc["outs"] if isinstance(doc["outs"], list) else [])
    stages = doc.get("stages")
    if isinstance(stages, dict):
        for stage in stages.values():
            if isinstance(stage, dict):
                for key in ("deps", "outs"):
                    value = stage.get(key)
                    items.extend(value if isinstance(value, list) else [])
    outs: dict[str, DvcOut] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        md5 = item.get("md5")
        if isinstance(md5, int) and not isinstance(md5, bool):
            md5 = str(md5).zfill(32)  # an all-digit digest that YAML read as a number
        if isinstance(md5, str) and md5:
            outs[item["path"]] = DvcOut(path=item["path"], md5=md5.lower())
    if not outs and not items:
        raise ManifestFormatError(f"{display}: no 'outs' or 'stages' with hashes")
    return tuple(sorted(outs.values(), key=lambda o: o.path))


def verify_dvc(path: Path, root: Path, *, progress: Progress = silent) -> EvidenceResult:
    """Verify every hashed output (and, for dvc.lock, dependency) against the workspace."""
    display = relative_display(root, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestFormatError(f"{display}: unreadable: {exc}") from None
    checks: list[FileCheck] = []
    for out in parse_dvc(text, display):
        target = safe_relative(path.parent, out.path)
        if target is None:
            checks.append(FileCheck(path=out.path, state=FileState.UNSAFE, detail="unsafe path"))
            continue
        shown = relative_display(root, target)
        if out.md5.endswith(".dir"):
            checks.extend(_verify_dir(target, out.md5, root, progress))
        elif not target.exists():
            checks.append(FileCheck(path=shown, state=FileState.NOT_IN_WORKSPACE))
        elif not target.is_file():
            detail = "a directory, but the DVC entry is a file hash"
            checks.append(FileCheck(path=shown, state=FileState.CHANGED, detail=detail))
        else:
            progress(shown, 0, None)
            ok = out.md5 in md5_file(target)
            detail = "" if ok else "md5 differs"
            state = FileState.MATCH if ok else FileState.CHANGED
            checks.append(FileCheck(path=shown, state=state, detail=detail))
    return EvidenceResult(
        source=display,
        kind="dvc",
        files=tuple(sorted(checks, key=lambda c: c.path)),
        algorithm="md5",
    )


def _cache_listing(start: Path, root: Path, md5: str) -> Path | None:
    digest = md5.removesuffix(".dir")
    for directory in (start, *start.parents):
        for cache in (
            directory / ".dvc" / "cache" / "files" / "md5",
            directory / ".dvc" / "cache",
        ):
            listing = cache / digest[:2] / f"{digest[2:]}.dir"
            if listing.is_file():
                return listing
        if directory == root or directory == directory.parent:
            break
    return None


def _verify_dir(target: Path, md5: str, root: Path, progress: Progress) -> list[FileCheck]:
    shown = relative_display(root, target)
    if not target.is_dir():
        return [FileCheck(path=shown, state=FileState.NOT_IN_WORKSPACE)]
    listing = _cache_listing(target.parent, root.resolve(), md5)
    if listing is None:
        detail = "directory hash needs the DVC cache (.dir listing not found)"
        return [FileCheck(path=shown, state=FileState.UNVERIFIABLE, detail=detail)]
    try:
        entries = json.loads(listing.read_text(encoding="utf-8"))
        expected = {str(e["relpath"]): str(e["md5"]).lower() for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        detail = f"unreadable DVC cache listing: {exc}"
        return [FileCheck(path=shown, state=FileState.UNVERIFIABLE, detail=detail)]
    checks: list[FileCheck] = []
    present = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    for rel, digest in sorted(expected.items()):
        file = safe_relative(target, rel)
        name = f"{shown}/{rel}"
        if file is None:
            checks.append(FileCheck(path=name, state=FileState.UNSAFE, detail="unsafe path"))
        elif not file.is_file():
            checks.append(FileCheck(path=name, state=FileState.REMOVED, detail="file is gone"))
        else:
            progress(name, 0, None)
            ok = digest in md5_file(file)
            state = FileState.MATCH if ok else FileState.CHANGED
            checks.append(FileCheck(path=name, state=state, detail="" if ok else "md5 differs"))
    checks.extend(
        FileCheck(path=f"{shown}/{rel}", state=FileState.ADDED, detail="not in the DVC listing")
        for rel in sorted(present - set(expected))
    )
    return checks
