"""pip requirements files: ``-r``/``-c`` includes, ``--hash``, markers, extras, URLs and VCS."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.supply.deps import Dependency, ManifestKind, ParsedManifest, commit_of
from mlsvs.supply.errors import ManifestError

if TYPE_CHECKING:
    from collections.abc import Iterator

_COMMENT = re.compile(r"(^|\s+)#.*$")
# pip substitutes ${NAME} (upper case, digits, underscore) from the environment at install time.
_ENV_VAR = re.compile(r"\$\{[A-Z0-9_]+\}")
_INCLUDE = {"-r", "--requirement", "-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}
# Global options that take a value; they configure pip, they declare no package.
_GLOBAL_WITH_VALUE = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                      "--trusted-host", "--no-binary", "--only-binary", "--use-feature",
                      "--progress-bar", "--config-settings"}  # fmt: skip
_MAX_FILE = 5 * 1024 * 1024
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")
_SDIST = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+?)-(?P<version>\d[^-]*)\.(tar\.gz|zip|tar\.bz2)$")


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\`` continuations and strip comments; yields (first line number, text)."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        line = _COMMENT.sub("", raw) if not raw.lstrip().startswith("#") else ""
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        joined = " ".join(p.strip() for p in parts).strip()
        parts = []
        if joined:
            yield start, joined
    if parts and (joined := " ".join(p.strip() for p in parts).strip()):
        yield start, joined


Problem = tuple[str, int | None, str]


def parse_requirements(path: Path, *, root: Path) -> ParsedManifest:
    """Parse ``path`` and every file it includes (which must stay inside ``root``).

    A line that cannot be read is a problem of that line; the other lines still count. Only an
    unreadable top-level file raises ``ManifestError``.
    """
    deps: list[Dependency] = []
    seen: list[str] = []
    problems: list[Problem] = []
    top = path.resolve()
    try:
        rel = top.relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    _parse_file(top, root.resolve(), deps, seen, problems, rel=rel)
    return ParsedManifest(
        path=rel,
        kind=ManifestKind.REQUIREMENTS,
        dependencies=tuple(deps),
        includes=tuple(seen[1:]),
        problems=tuple(problems),
    )


def _parse_file(
    path: Path,
    root: Path,
    deps: list[Dependency],
    seen: list[str],
    problems: list[Problem],
    *,
    rel: str,
) -> None:
    if rel in seen:
        return  # include cycle or diamond: each file once
    seen.append(rel)
    try:
        if path.stat().st_size > _MAX_FILE:
            raise ManifestError("file larger than 5 MiB", path=rel)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read: {exc}", path=rel) from exc
    for number, line in _logical_lines(text):
        try:
            _parse_line(path, root, line, number, deps, seen, problems, rel=rel)
        except ManifestError as exc:
            problems.append((rel, number, exc.message))


def _include(
    path: Path,
    root: Path,
    value: str,
    deps: list[Dependency],
    seen: list[str],
    problems: list[Problem],
) -> None:
    """Follow ``-r``/``-c``: inside the project only, each file once (cycle-safe)."""
    if _ENV_VAR.search(value):
        raise ManifestError(f"included file {value!r} depends on an environment variable")
    target = (path.parent / value).resolve()
    try:
        rel = target.relative_to(root).as_posix()
    except ValueError:
        raise ManifestError(f"included file {value} is outside the project") from None
    if not target.is_file():
        raise ManifestError(f"included file {value} not found")
    _parse_file(target, root, deps, seen, problems, rel=rel)


def _parse_line(
    path: Path,
    root: Path,
    line: str,
    number: int,
    deps: list[Dependency],
    seen: list[str],
    problems: list[Problem],
    *,
    rel: str,
) -> None:
    if not line.startswith("-"):
        # Options follow the requirement after whitespace; the requirement itself keeps its
        # quotes (markers such as python_version >= '3.10').
        spec, sep, options = line.partition(" --")
        try:
            extra = shlex.split(sep.strip() + options, posix=True) if sep else []
        except ValueError as exc:
            raise ManifestError(f"cannot split options: {exc}", path=rel, line=number) from exc
        deps.append(requirement_from_tokens([spec.strip(), *extra], source=rel, line=number))
        return
    try:
        tokens = shlex.split(line, posix=True)
    except ValueError as exc:
        raise ManifestError(f"cannot split line: {exc}", path=rel, line=number) from exc
    head = tokens[0]
    option, _, inline = head.partition("=") if head.startswith("--") else (head, "", "")
    value = inline or (tokens[1] if len(tokens) > 1 else "")
    if option in _INCLUDE:
        if not value:
            raise ManifestError(f"{option} needs a file name", path=rel, line=number)
        _include(path, root, value, deps, seen, problems)
    elif option in _EDITABLE:
        deps.append(_url_dependency(value, source=rel, line=number, editable=True))
    elif option not in _GLOBAL_WITH_VALUE and not option.startswith("--"):
        raise ManifestError(f"unknown option {option}", path=rel, line=number)


def _hashes(options: list[str]) -> tuple[str, ...]:
    """``--hash`` values among a requirement's options (``--hash=x`` or ``--hash x``)."""
    it = iter(options)
    return tuple(
        (token.partition("=")[2] or next(it, "")).lower()
        for token in it
        if token.startswith("--hash")
    )


def requirement_from_tokens(tokens: list[str], *, source: str, line: int) -> Dependency:
    """``tokens[0]`` is a PEP 508 requirement, the rest its options (``--hash`` ...)."""
    from packaging.requirements import InvalidRequirement, Requirement

    text, hashes = tokens[0], _hashes(tokens[1:])
    variables = _ENV_VAR.findall(text)
    if variables:
        return _unresolved(text, variables, source=source, line=line)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        if "/" in text or text.startswith("."):
            dep = _url_dependency(text, source=source, line=line, editable=False)
            return _with(dep, hashes=hashes)
        reason = str(exc).splitlines()[0]
        raise ManifestError(
            f"invalid requirement {text!r}: {reason}", path=source, line=line
        ) from exc
    version = None
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version:
        version = specs[0].version
    url = req.url or ""
    return Dependency(
        name=canonical(req.name),
        source=source,
        line=line,
        specifier=str(req.specifier),
        version=version,
        hashes=hashes,
        url=url,
        commit=commit_of(url),
        marker=str(req.marker) if req.marker else "",
        extras=tuple(sorted(req.extras)),
        local=url.startswith("file:"),
    )


def _unresolved(text: str, variables: list[str], *, source: str, line: int) -> Dependency:
    """A requirement using ``${VAR}``: the package is known, its version is not."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(_ENV_VAR.sub("0", text))
    except InvalidRequirement as exc:
        raise ManifestError(
            f"invalid requirement {text!r} even with {', '.join(variables)} substituted"
        ) from exc
    if not text.lstrip().startswith(req.name):
        raise ManifestError(f"package name of {text!r} comes from an environment variable")
    return Dependency(
        name=canonical(req.name),
        source=source,
        line=line,
        specifier=text[len(req.name) :].strip(),
        marker=str(req.marker) if req.marker else "",
        extras=tuple(sorted(req.extras)),
        unresolved=f"version set by {', '.join(variables)} at install time",
    )


def _with(dep: Dependency, *, hashes: tuple[str, ...]) -> Dependency:
    from dataclasses import replace

    return replace(dep, hashes=hashes)


def _url_dependency(value: str, *, source: str, line: int, editable: bool) -> Dependency:
    """A bare URL, VCS reference or local path (``-e .``, ``./pkg``, ``git+https://…#egg=x``)."""
    fragment = dict(
        part.split("=", 1) for part in value.partition("#")[2].split("&") if "=" in part
    )
    is_remote = re.match(r"^[a-z][a-z0-9+.-]*://", value) is not None
    from urllib.parse import unquote

    filename = unquote(PurePosixPath(value.split("#", 1)[0].split("?", 1)[0]).name)
    name, version = fragment.get("egg", ""), None
    if match := (_WHEEL.match(filename) or _SDIST.match(filename)):
        name, version = name or match["name"], match["version"]
    if not name:
        name = filename or value
    return Dependency(
        name=canonical(name.split("[", 1)[0]),
        source=source,
        line=line,
        version=None if editable else version,
        url=value,
        commit=commit_of(value),
        local=not is_remote,
        group="editable" if editable else "",
    )
