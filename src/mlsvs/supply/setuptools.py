"""``setup.py`` (read as a syntax tree, never executed) and ``setup.cfg`` requirement lists.

``setup.py`` is code: only literal values are trusted. Module-level constants, list/tuple
literals, ``+`` of lists and ``str.split``/``splitlines`` of literal strings are followed; anything
computed at run time (read from a file, built in a loop) is a *problem* naming the keyword, so
the dependency checks report "not verified" instead of passing an empty list.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import replace
from typing import TYPE_CHECKING

from mlsvs.supply.deps import Dependency, ManifestKind, ParsedManifest
from mlsvs.supply.errors import ManifestError

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.supply.requirements import Problem

_MAX_FILE = 5 * 1024 * 1024
_LIST_KEYWORDS = ("install_requires", "setup_requires", "tests_require")
_GROUP = {"install_requires": "", "setup_requires": "setup", "tests_require": "test"}


class _UnresolvedError(Exception):
    """A value that is not a literal the parser can follow."""


def _read(path: Path, rel: str) -> str:
    try:
        if path.stat().st_size > _MAX_FILE:
            raise ManifestError("file larger than 5 MiB", path=rel)
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read: {exc}", path=rel) from exc


def _requirement(text: str, *, rel: str, line: int | None, group: str) -> Dependency:
    from mlsvs.supply.requirements import requirement_from_tokens

    dep = requirement_from_tokens([text.strip()], source=rel, line=line or 0)
    return replace(dep, line=line, group=group)


def _add(
    texts: list[str],
    *,
    rel: str,
    line: int | None,
    group: str,
    deps: list[Dependency],
    problems: list[Problem],
) -> None:
    for text in texts:
        for item in text.splitlines():
            item = item.split(" #", 1)[0].strip()
            if not item or item.startswith("#"):
                continue
            try:
                deps.append(_requirement(item, rel=rel, line=line, group=group))
            except ManifestError as exc:
                problems.append((rel, line, exc.message))


class _Constants:
    """Module-level ``NAME = <literal>`` bindings (the last literal assignment wins)."""

    def __init__(self, tree: ast.Module) -> None:
        self.values: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.values[target.id] = node.value
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                self.values[node.target.id] = node.value

    def strings(self, node: ast.expr, depth: int = 0) -> list[str]:
        """The list of strings ``node`` evaluates to, or ``_UnresolvedError``."""
        if depth > 20:
            raise _UnresolvedError
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            out: list[str] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    out.extend(self.strings(element.value, depth + 1))
                else:
                    out.extend(self.strings(element, depth + 1))
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.strings(node.left, depth + 1) + self.strings(node.right, depth + 1)
        if isinstance(node, ast.Name) and node.id in self.values:
            return self.strings(self.values[node.id], depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"split", "splitlines", "strip"}
            and not node.keywords
        ):
            base = self.strings(node.func.value, depth + 1)
            if len(base) == 1 and node.func.attr != "strip":
                return base[0].split() if node.func.attr == "split" else base[0].splitlines()
            if len(base) == 1:
                return base
        raise _UnresolvedError

    def mapping(self, node: ast.expr, depth: int = 0) -> dict[str, ast.expr]:
        """``extras_require``: a dict literal (or a constant naming one)."""
        if depth > 20:
            raise _UnresolvedError
        if isinstance(node, ast.Name) and node.id in self.values:
            return self.mapping(self.values[node.id], depth + 1)
        if isinstance(node, ast.Dict):
            out: dict[str, ast.expr] = {}
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    out.update(self.mapping(value, depth + 1))
                    continue
                names = self.strings(key, depth + 1)
                if len(names) != 1:
                    raise _UnresolvedError
                out[names[0]] = value
            return out
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
        ):
            if node.args:
                raise _UnresolvedError
            return {k.arg: k.value for k in node.keywords if k.arg is not None}
        raise _UnresolvedError


def _setup_calls(tree: ast.Module) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "setup":
                calls.append(node)
    return calls


_SETUP_KEYWORDS = frozenset({"name", "version", "packages", "install_requires", "py_modules"})


def _imports_setuptools(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(n.split(".")[0] in {"setuptools", "distutils", "skbuild"} for n in names):
            return True
    return False


def is_setup_script(path: Path) -> bool:
    """Whether a file named ``setup.py`` is a packaging script (imports setuptools/distutils or
    calls a bare ``setup(name=..., ...)``), not some module that happens to share the name."""
    try:
        if path.stat().st_size > _MAX_FILE:
            return True  # let the parser report it
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return True  # unreadable: the parser reports it as a problem, never skipped silently
    if _imports_setuptools(tree):
        return True
    return any(
        isinstance(call.func, ast.Name) and {k.arg for k in call.keywords} & _SETUP_KEYWORDS
        for call in _setup_calls(tree)
    )


def parse_setup_py(path: Path, rel: str) -> ParsedManifest:
    """The literal requirement lists given to ``setup()``; the file is never executed."""
    text = _read(path, rel)
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise ManifestError(f"not valid Python: {exc}", path=rel) from exc
    constants = _Constants(tree)
    deps: list[Dependency] = []
    problems: list[Problem] = []
    calls = _setup_calls(tree)
    if not calls:
        problems.append((rel, None, "no setup() call found: dependencies cannot be read"))
    for call in calls:
        keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if any(k.arg is None for k in call.keywords):
            problems.append(
                (rel, call.lineno, "setup(**kwargs): arguments computed at run time are not read")
            )
        for keyword in _LIST_KEYWORDS:
            if keyword not in keywords:
                continue
            node = keywords[keyword]
            try:
                texts = constants.strings(node)
            except _UnresolvedError:
                problems.append((rel, node.lineno, f"{keyword} is computed at run time"))
                continue
            _add(texts, rel=rel, line=node.lineno, group=_GROUP[keyword], deps=deps,
                 problems=problems)  # fmt: skip
        if "extras_require" in keywords:
            node = keywords["extras_require"]
            try:
                extras = constants.mapping(node)
            except _UnresolvedError:
                problems.append((rel, node.lineno, "extras_require is computed at run time"))
                extras = {}
            for group, value in sorted(extras.items()):
                try:
                    texts = constants.strings(value)
                except _UnresolvedError:
                    problems.append(
                        (rel, value.lineno, f"extras_require[{group!r}] is computed at run time")
                    )
                    continue
                _add(texts, rel=rel, line=value.lineno, group=group.split(":", 1)[0], deps=deps,
                     problems=problems)  # fmt: skip
    return ParsedManifest(
        path=rel, kind=ManifestKind.SETUP_PY, dependencies=tuple(deps), problems=tuple(problems)
    )


def parse_setup_cfg(path: Path, rel: str, *, root: Path) -> ParsedManifest:
    """``[options] install_requires``/``setup_requires``/``tests_require`` and
    ``[options.extras_require]``; ``file:`` references are read as requirements files."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(_read(path, rel), source=rel)
    except configparser.Error as exc:
        raise ManifestError(f"invalid setup.cfg: {str(exc).splitlines()[0]}", path=rel) from exc
    deps: list[Dependency] = []
    problems: list[Problem] = []
    includes: list[str] = []
    entries: list[tuple[str, str]] = []
    if parser.has_section("options"):
        entries.extend(
            (_GROUP[keyword], parser.get("options", keyword))
            for keyword in _LIST_KEYWORDS
            if parser.has_option("options", keyword)
        )
    if parser.has_section("options.extras_require"):
        for group, value in parser.items("options.extras_require"):
            entries.append((group.split(":", 1)[0], value))
    for group, value in entries:
        if value.strip().startswith("file:"):
            for name in value.strip()[5:].split(","):
                included = _included(path, root, name.strip(), rel, problems)
                if included is not None:
                    includes.append(included.path)
                    deps.extend(replace(d, group=group) for d in included.dependencies)
                    problems.extend(included.problems)
            continue
        _add([value], rel=rel, line=None, group=group, deps=deps, problems=problems)
    return ParsedManifest(
        path=rel,
        kind=ManifestKind.SETUP_CFG,
        dependencies=tuple(deps),
        includes=tuple(includes),
        problems=tuple(problems),
    )


def _included(
    path: Path, root: Path, name: str, rel: str, problems: list[Problem]
) -> ParsedManifest | None:
    from mlsvs.supply.requirements import parse_requirements

    target = (path.parent / name).resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        problems.append((rel, None, f"file: {name} is outside the project"))
        return None
    if not target.is_file():
        problems.append((rel, None, f"file: {name} not found"))
        return None
    try:
        return parse_requirements(target, root=root)
    except ManifestError as exc:
        problems.append((rel, None, exc.diagnostics()))
        return None
