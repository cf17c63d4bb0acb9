"""Parse every dependency manifest of a project; one bad file never hides the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.model.artifact import DependencyManifest, SourceFile
from mlsvs.supply.deps import ManifestKind, ParsedManifest
from mlsvs.supply.errors import ManifestError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mlsvs.model.artifact import Project
    from mlsvs.supply.deps import Dependency


def detect_kind(name: str) -> ManifestKind | None:
    """The manifest kind a file name (or a project-relative path) implies, or None."""
    from mlsvs.util.manifest_names import manifest_kind

    kind = manifest_kind(name)
    return None if kind is None else ManifestKind(kind)


def parse_manifest(path: Path, *, root: Path, kind: ManifestKind | None = None) -> ParsedManifest:
    """Parse one manifest. Raises ``ManifestError`` naming the file on malformed input."""
    from mlsvs.supply.conda import parse_conda
    from mlsvs.supply.lockfiles import (
        parse_pdm_lock,
        parse_poetry_lock,
        parse_pylock,
        parse_pyproject,
        parse_uv_lock,
    )
    from mlsvs.supply.pipenv import parse_pipfile, parse_pipfile_lock
    from mlsvs.supply.requirements import parse_requirements
    from mlsvs.supply.setuptools import parse_setup_cfg, parse_setup_py

    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    kind = kind or detect_kind(rel)
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
        case ManifestKind.PDM_LOCK:
            return parse_pdm_lock(path, rel)
        case ManifestKind.PIPFILE:
            return parse_pipfile(path, rel)
        case ManifestKind.PIPFILE_LOCK:
            return parse_pipfile_lock(path, rel)
        case ManifestKind.SETUP_PY:
            return parse_setup_py(path, rel)
        case ManifestKind.SETUP_CFG:
            return parse_setup_cfg(path, rel, root=root)
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
    def problems(self) -> tuple[tuple[str, int | None, str], ...]:
        """``(path, line, message)`` per entry that could not be read, in every manifest."""
        return tuple(dict.fromkeys(p for m in self.manifests for p in m.problems))

    @property
    def unresolved(self) -> tuple[Dependency, ...]:
        """Dependencies whose version depends on the install environment."""
        return tuple(d for d in self.dependencies if d.unresolved)

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
    """Parse every ``DependencyManifest`` discovered in ``project`` and its ``setup.py`` scripts."""
    from mlsvs.supply.setuptools import is_setup_script

    parsed: list[ParsedManifest] = []
    errors: list[tuple[str, str]] = []
    found: list[tuple[Path, str, ManifestKind | None]] = [
        (a.absolute, a.path, _kind_of(a)) for a in project.of_type(DependencyManifest)
    ]
    # setup.py is discovered as source code (code rules scan it too); it also declares deps.
    found += [
        (a.absolute, a.path, ManifestKind.SETUP_PY)
        for a in project.of_type(SourceFile)
        if PurePosixPath(a.path).name == "setup.py" and is_setup_script(a.absolute)
    ]
    for absolute, path, kind in sorted(found, key=lambda item: item[1]):
        try:
            manifest = parse_manifest(absolute, root=project.root, kind=kind)
        except ManifestError as exc:
            errors.append((path, exc.diagnostics()))
            continue
        if manifest.kind is ManifestKind.SETUP_CFG and not (
            manifest.dependencies or manifest.problems or manifest.includes
        ):
            continue  # a setup.cfg holding only tool settings (flake8, isort) declares nothing
        parsed.append(manifest)
    return ManifestSet(manifests=tuple(parsed), errors=tuple(errors))
