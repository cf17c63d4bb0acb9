"""Pipenv's ``Pipfile`` (TOML) and ``Pipfile.lock`` (JSON)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from mlsvs.supply.deps import Dependency, ManifestKind, ParsedManifest, commit_of
from mlsvs.supply.errors import ManifestError
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.supply.requirements import Problem

_MAX_FILE = 50 * 1024 * 1024
_EXACT = re.compile(r"^===?\s*(?P<version>[^*,;\s]+)$")
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")


def _entry(name: str, spec: object, *, rel: str, group: str, locked: bool) -> Dependency:
    """One ``name = "==1.2"`` or ``name = {version = "...", git = "...", ref = "..."}``."""
    version_text, url, commit, local = "", "", "", False
    hashes: tuple[str, ...] = ()
    marker = ""
    if isinstance(spec, str):
        version_text = spec
    elif isinstance(spec, dict):
        version_text = str(spec.get("version", ""))
        marker = str(spec.get("markers", ""))
        raw_hashes = spec.get("hashes")
        if isinstance(raw_hashes, list):
            hashes = tuple(sorted(str(h).lower() for h in raw_hashes))
        if "git" in spec:
            url = f"git+{spec['git']}"
            ref = str(spec.get("ref", ""))
            commit = ref.lower() if _COMMIT.match(ref) else commit_of(url)
        elif "path" in spec or ("file" in spec and not str(spec["file"]).startswith("http")):
            local = True
        elif "file" in spec:
            url = str(spec["file"])
    else:
        raise ManifestError(f"dependency {name!r} has an unreadable specification", path=rel)
    version_text = version_text.strip()
    exact = _EXACT.match(version_text)
    return Dependency(
        name=canonical(name),
        source=rel,
        specifier="" if version_text == "*" else version_text,
        version=exact["version"] if exact else None,
        hashes=hashes if locked else (),
        url=url,
        commit=commit,
        marker=marker,
        group=group,
        local=local,
    )


def _sections(
    data: object, names: tuple[tuple[str, str], ...], *, rel: str, locked: bool
) -> tuple[list[Dependency], list[Problem]]:
    if not isinstance(data, dict):
        raise ManifestError("top level is not a table", path=rel)
    deps: list[Dependency] = []
    problems: list[Problem] = []
    for section, group in names:
        table = data.get(section) or {}
        if not isinstance(table, dict):
            problems.append((rel, None, f"[{section}] is not a table"))
            continue
        for name, spec in sorted(table.items()):
            try:
                deps.append(_entry(str(name), spec, rel=rel, group=group, locked=locked))
            except ManifestError as exc:
                problems.append((rel, None, exc.message))
    return deps, problems


def parse_pipfile(path: Path, rel: str) -> ParsedManifest:
    """``[packages]`` and ``[dev-packages]`` (``"*"`` is unpinned)."""
    from mlsvs.supply.lockfiles import load_toml

    data = load_toml(path, rel)
    deps, problems = _sections(
        data, (("packages", ""), ("dev-packages", "dev")), rel=rel, locked=False
    )
    return ParsedManifest(
        path=rel, kind=ManifestKind.PIPFILE, dependencies=tuple(deps), problems=tuple(problems)
    )


def parse_pipfile_lock(path: Path, rel: str) -> ParsedManifest:
    """``default`` and ``develop``: exact ``==`` versions with ``sha256:`` hashes."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise ManifestError("file larger than 50 MiB", path=rel)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read Pipfile.lock: {exc}", path=rel) from exc
    deps, problems = _sections(data, (("default", ""), ("develop", "dev")), rel=rel, locked=True)
    return ParsedManifest(
        path=rel, kind=ManifestKind.PIPFILE_LOCK, dependencies=tuple(deps), problems=tuple(problems)
    )
