"""Parse every dependency manifest of a project; one bad file never hides the others."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.artifact import DependencyManifest
from mlsvs.supply.deps import ManifestKind, ParsedManifest
from mlsvs.supply.errors import ManifestError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mlsvs.model.artifact import Project
    from mlsvs.supply.deps import Dependency

_BY_NAME: tuple[tuple[str, ManifestKind], ...] = (
    ("pyproject.toml", ManifestKind.PYPROJECT),
    ("pylock.toml", ManifestKind.PYLOCK),
    ("pylock.*.toml", ManifestKind.PYLOCK),
    ("uv.lock", ManifestKind.UV_LOCK),
    ("poetry.lock", ManifestKind.POETRY_LOCK),
    ("environment.yml", ManifestKind.CONDA),
    ("environment.yaml", ManifestKind.CONDA),
    ("environment-*.yml", ManifestKind.CONDA),
    ("conda*.yml", ManifestKind.CONDA),
    ("requirements*.txt", ManifestKind.REQUIREMENTS),
    ("requirements*.in", ManifestKind.REQUIREMENTS),
    ("*requirements.txt", ManifestKind.REQUIREMENTS),
    ("constraints*.txt", ManifestKind.REQUIREMENTS),
)


def detect_kind(name: str) -> ManifestKind | None:
    """The manifest kind a file name implies, or None."""
    lowered = name.lower()
    for pattern, kind in _BY_NAME:
        if fnmatch.fnmatchcase(lowered, pattern):
            return kind
    return None


def parse_manifest(path: Path, *, root: Path, kind: ManifestKind | None = None) -> ParsedManifest:
    """Parse one manifest. Raises ``ManifestError`` naming the file on malformed input."""
    from mlsvs.supply.conda import parse_conda
    from mlsvs.supply.lockfiles import (
        parse_poetry_lock,
        parse_pylock,
        parse_pyproject,
        parse_uv_lock,
    )
    from mlsvs.supply.requirements import parse_requirements

    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    kind = kind or detect_kind(path.name)
    match kind:
        case ManifestKind.REQUIREMENTS:
            return parse_requirements(path, root=root)
        case ManifestKind.PYPROJECT:
            return parse_pyproject(path, rel)
        case ManifestKind.PYLOCK:
            return parse_pylock(path, rel)
        case ManifestKind.UV_LOCK:
            return parse_uv_lock(path, rel)
        case ManifestKind.POETRY_LOCK:
            return parse_poetry_lock(path, rel)
        case ManifestKind.CONDA:
            return parse_conda(path, rel)
        case None:
            raise ManifestError("not a recognised dependency manifest", path=rel)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSet:
    """The project's parsed manifests and the files that failed to parse."""

    manifests: tuple[ParsedManifest, ...]
    errors: tuple[tuple[str, str], ...]
    """``(path, one-line message)`` per unparseable file."""

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        """Every dependency once (a file included by several manifests counts once)."""
        seen: dict[tuple[str, int | None, str, str], Dependency] = {}
        for manifest in self.manifests:
            for dep in manifest.dependencies:
                seen.setdefault((dep.source, dep.line, dep.name, dep.group), dep)
        return tuple(seen.values())

    @property
    def has_lock(self) -> bool:
        """Whether any lock file (pylock, uv.lock, poetry.lock) parsed."""
        return any(m.kind.is_lock for m in self.manifests)

    def locked(self) -> Mapping[str, tuple[Dependency, ...]]:
        """Name -> every entry that fixes its version: lock-file entries and exact pins in any
        manifest (a ``pip-compile`` requirements file pins what ``pyproject.toml`` ranges)."""
        out: dict[str, list[Dependency]] = {}
        for manifest in self.manifests:
            for dep in manifest.dependencies:
                if manifest.kind.is_lock or (dep.version is not None and not dep.local):
                    out.setdefault(dep.name, []).append(dep)
        return {name: tuple(items) for name, items in out.items()}


def _kind_of(artifact: DependencyManifest) -> ManifestKind | None:
    try:
        return ManifestKind(artifact.manifest)
    except ValueError:
        return detect_kind(artifact.absolute.name)


def parse_project(project: Project) -> ManifestSet:
    """Parse every ``DependencyManifest`` discovered in ``project``."""
    parsed: list[ParsedManifest] = []
    errors: list[tuple[str, str]] = []
    for artifact in project.of_type(DependencyManifest):
        try:
            parsed.append(
                parse_manifest(artifact.absolute, root=project.root, kind=_kind_of(artifact))
            )
        except ManifestError as exc:
            errors.append((artifact.path, exc.diagnostics()))
    return ManifestSet(manifests=tuple(parsed), errors=tuple(errors))
