"""pyproject.toml (PEP 621 and Poetry tables), pylock.toml (PEP 751), uv.lock and poetry.lock."""

from __future__ import annotations

import re
import tomllib
from typing import TYPE_CHECKING

from mlsvs.supply.deps import Dependency, ManifestKind, ParsedManifest, commit_of
from mlsvs.supply.errors import ManifestError
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from mlsvs.supply.requirements import Problem

_MAX_FILE = 50 * 1024 * 1024
_POETRY_EXACT = re.compile(r"^=?=?\s*\d[\w.!+-]*$")


def load_toml(path: Path, rel: str) -> Mapping[str, object]:
    """Read a TOML file with a size cap; errors name the file."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise ManifestError("file larger than 50 MiB", path=rel)
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"invalid TOML: {exc}", path=rel) from exc
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc}", path=rel) from exc


def _table(value: object, what: str, rel: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError(f"{what} must be a table", path=rel)
    return value


def _array(value: object, what: str, rel: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ManifestError(f"{what} must be an array", path=rel)
    return value


def _pep508(text: object, *, rel: str, group: str) -> Dependency:
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(text, str):
        raise ManifestError(f"dependency {text!r} is not a string", path=rel)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        raise ManifestError(f"invalid requirement {text!r}: {reason}", path=rel) from exc
    specs = list(req.specifier)
    exact = len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version
    return Dependency(
        name=canonical(req.name),
        source=rel,
        specifier=str(req.specifier),
        version=specs[0].version if exact else None,
        url=req.url or "",
        commit=commit_of(req.url or ""),
        marker=str(req.marker) if req.marker else "",
        extras=tuple(sorted(req.extras)),
        group=group,
    )


def _pep508_list(
    items: list[object], *, rel: str, group: str, problems: list[Problem]
) -> list[Dependency]:
    """Each PEP 508 string of a list; a bad entry is a problem, the others still count."""
    deps = []
    for text in items:
        try:
            deps.append(_pep508(text, rel=rel, group=group))
        except ManifestError as exc:
            problems.append((rel, None, exc.message))
    return deps


def parse_pyproject(path: Path, rel: str) -> ParsedManifest:
    """PEP 621 ``[project]`` dependencies and optional-dependencies, PEP 735 dependency-groups,
    Poetry dependency tables, PDM dev-dependencies and Hatch environment dependencies."""
    data = load_toml(path, rel)
    problems: list[Problem] = []
    project = _table(data.get("project"), "[project]", rel)
    deps = _pep508_list(
        _array(project.get("dependencies"), "dependencies", rel), rel=rel, group="",
        problems=problems,
    )  # fmt: skip
    optional = _table(project.get("optional-dependencies"), "optional-dependencies", rel)
    for group, items in sorted(optional.items()):
        deps.extend(_pep508_list(_array(items, group, rel), rel=rel, group=group,
                                 problems=problems))  # fmt: skip
    for group, items in sorted(
        _table(data.get("dependency-groups"), "dependency-groups", rel).items()
    ):
        strings = [t for t in _array(items, group, rel) if isinstance(t, str)]  # include-group
        deps.extend(_pep508_list(list(strings), rel=rel, group=group, problems=problems))
    tool = _table(data.get("tool"), "[tool]", rel)
    pdm = _table(tool.get("pdm"), "[tool.pdm]", rel)
    for group, items in sorted(
        _table(pdm.get("dev-dependencies"), "[tool.pdm.dev-dependencies]", rel).items()
    ):
        deps.extend(_pep508_list(_array(items, group, rel), rel=rel, group=group,
                                 problems=problems))  # fmt: skip
    hatch_envs = _table(_table(tool.get("hatch"), "[tool.hatch]", rel).get("envs"), "envs", rel)
    for env, body in sorted(hatch_envs.items()):
        table = _table(body, f"[tool.hatch.envs.{env}]", rel)
        for key in ("dependencies", "extra-dependencies"):
            deps.extend(_pep508_list(_array(table.get(key), key, rel), rel=rel,
                                     group=f"hatch:{env}", problems=problems))  # fmt: skip
    poetry = _table(tool.get("poetry"), "[tool.poetry]", rel)
    tables: list[tuple[str, object]] = [
        ("", poetry.get("dependencies")),
        ("dev", poetry.get("dev-dependencies")),
    ]
    for group, body in sorted(_table(poetry.get("group"), "[tool.poetry.group]", rel).items()):
        tables.append((group, _table(body, f"group {group}", rel).get("dependencies")))
    for group, poetry_table in tables:
        for name, spec in sorted(_table(poetry_table, "poetry dependencies", rel).items()):
            if name.lower() == "python":
                continue
            try:
                deps.append(_poetry_dependency(name, spec, rel=rel, group=group))
            except ManifestError as exc:
                problems.append((rel, None, exc.message))
    return ParsedManifest(
        path=rel, kind=ManifestKind.PYPROJECT, dependencies=tuple(deps), problems=tuple(problems)
    )


def _poetry_dependency(name: str, spec: object, *, rel: str, group: str) -> Dependency:
    if isinstance(spec, list):  # multiple-constraint dependency: never one exact version
        return Dependency(name=canonical(name), source=rel, specifier="(multiple)", group=group)
    url, commit, local, version_text = "", "", False, ""
    if isinstance(spec, str):
        version_text = spec
    elif isinstance(spec, dict):
        version_text = str(spec.get("version", ""))
        if "git" in spec:
            url = f"git+{spec['git']}"
            rev = str(spec.get("rev", ""))
            commit = rev.lower() if re.fullmatch(r"[0-9a-fA-F]{40}", rev) else ""
        elif "path" in spec:
            local = True
        elif "url" in spec:
            url = str(spec["url"])
    else:
        raise ManifestError(f"dependency {name!r} has an unreadable specification", path=rel)
    version_text = version_text.strip()
    exact = bool(version_text) and _POETRY_EXACT.match(version_text) is not None
    return Dependency(
        name=canonical(name),
        source=rel,
        specifier=version_text,
        version=version_text.lstrip("=").strip() if exact else None,
        url=url,
        commit=commit,
        local=local,
        group=group,
    )


def _hash_of(entry: object) -> Iterator[str]:
    if isinstance(entry, dict):
        hashes = entry.get("hashes")
        if isinstance(hashes, dict):
            yield from (f"{alg}:{value}".lower() for alg, value in sorted(hashes.items()))
        single = entry.get("hash")
        if isinstance(single, str):
            yield single.lower()


def _locked(rel: str, kind: ManifestKind, packages: list[object], files_key: str) -> ParsedManifest:
    deps: list[Dependency] = []
    for number, package in enumerate(packages):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise ManifestError(f"package entry {number} has no name", path=rel)
        version = package.get("version")
        source = package.get("source") if kind is not ManifestKind.PYLOCK else package
        source = source if isinstance(source, dict) else {}
        hashes: list[str] = []
        for key in ("sdist", "archive"):
            hashes.extend(_hash_of(package.get(key)))
        for wheel in _array(package.get(files_key), files_key, rel):
            hashes.extend(_hash_of(wheel))
        vcs = package.get("vcs") if kind is ManifestKind.PYLOCK else None
        commit = ""
        if isinstance(vcs, dict):
            commit = str(vcs.get("commit-id", "")).lower()
        elif isinstance(source.get("git"), str):
            commit = commit_of("git+" + source["git"].replace("#", "@"))
        elif source.get("type") == "git":
            commit = str(source.get("resolved_reference", "")).lower()
        local = any(k in source for k in ("editable", "virtual", "directory", "path")) or (
            source.get("type") == "directory"
        )
        deps.append(
            Dependency(
                name=canonical(package["name"]),
                source=rel,
                version=str(version) if isinstance(version, str) and version else None,
                hashes=tuple(sorted(set(hashes))),
                commit=commit,
                local=local,
            )
        )
    return ParsedManifest(path=rel, kind=kind, dependencies=tuple(deps))


def parse_pylock(path: Path, rel: str) -> ParsedManifest:
    """PEP 751 ``pylock.toml``: ``[[packages]]`` with wheels/sdist/archive hashes or vcs."""
    data = load_toml(path, rel)
    return _locked(
        rel, ManifestKind.PYLOCK, _array(data.get("packages"), "packages", rel), "wheels"
    )


def parse_uv_lock(path: Path, rel: str) -> ParsedManifest:
    """``uv.lock``: ``[[package]]`` with ``sdist``/``wheels`` hashes; the project is local."""
    data = load_toml(path, rel)
    return _locked(rel, ManifestKind.UV_LOCK, _array(data.get("package"), "package", rel), "wheels")


def parse_poetry_lock(path: Path, rel: str) -> ParsedManifest:
    """``poetry.lock``: ``[[package]]`` with ``files`` (lock 2.x) or ``[metadata.files]`` (1.x)."""
    data = load_toml(path, rel)
    packages = _array(data.get("package"), "package", rel)
    legacy = _table(
        _table(data.get("metadata"), "[metadata]", rel).get("files"), "[metadata.files]", rel
    )
    merged: list[object] = []
    for package in packages:
        if (
            isinstance(package, dict)
            and "files" not in package
            and isinstance(package.get("name"), str)
        ):
            package = {**package, "files": legacy.get(package["name"], [])}
        merged.append(package)
    return _locked(rel, ManifestKind.POETRY_LOCK, merged, "files")


def parse_pdm_lock(path: Path, rel: str) -> ParsedManifest:
    """``pdm.lock``: ``[[package]]`` with ``files = [{file, hash}]``."""
    data = load_toml(path, rel)
    return _locked(rel, ManifestKind.PDM_LOCK, _array(data.get("package"), "package", rel), "files")
