"""Walk a project tree safely: skip tool directories, never leave the root, record limits."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.model.assessment import Problem, ProblemKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mlsvs.config import Limits

# Directories that never hold the project's own artifacts.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        "node_modules",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".idea",
        ".vscode",
        "site-packages",
        "build",
        "dist",
        ".eggs",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkedFile:
    """A regular file inside the root."""

    path: str
    """POSIX path relative to the root."""
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Walk:
    """The files found and every problem met on the way."""

    files: tuple[WalkedFile, ...]
    directories: tuple[str, ...]
    problems: tuple[Problem, ...]


def walk(root: Path, *, include: Iterable[str], exclude: Iterable[str], limits: Limits) -> Walk:
    """List the files of ``root`` in sorted order, honouring globs and limits."""
    root = root.resolve()
    includes, excludes = tuple(include), tuple(exclude)
    files: list[WalkedFile] = []
    directories: list[str] = []
    problems: list[Problem] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    truncated = False
    while stack:
        directory, depth = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            problems.append(_problem(root, directory, f"cannot list directory: {exc.strerror}"))
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if _matches(rel, excludes):
                continue
            if entry.is_dir(follow_symlinks=False):
                if _skip_dir(entry):
                    continue
                if depth + 1 > limits.max_depth:
                    problems.append(_problem(root, Path(entry.path), "max_depth reached"))
                    continue
                directories.append(rel)
                stack.append((Path(entry.path), depth + 1))
                continue
            if entry.is_symlink():
                outcome = _symlink(root, Path(entry.path))
                if outcome is not None:
                    problems.append(outcome)
                    continue
            if not entry.is_file():
                continue
            if includes and not _matches(rel, includes):
                continue
            if len(files) >= limits.max_files:
                truncated = True
                break
            try:
                size = entry.stat().st_size
            except OSError as exc:
                problems.append(_problem(root, Path(entry.path), f"cannot stat: {exc.strerror}"))
                continue
            files.append(WalkedFile(path=rel, size=size))
        if truncated:
            break
    if truncated:
        problems.append(
            Problem(
                kind=ProblemKind.LIMIT,
                message=f"max_files ({limits.max_files}) reached: the rest of the tree was "
                "not examined; raise [limits] max_files",
            )
        )
    files.sort(key=lambda f: f.path)
    directories.sort()
    return Walk(files=tuple(files), directories=tuple(directories), problems=tuple(problems))


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    if entry.name in SKIPPED_DIRS or entry.name.endswith(".egg-info"):
        return True
    # Any directory holding a virtual environment, whatever its name.
    return Path(entry.path, "pyvenv.cfg").is_file()


def _symlink(root: Path, link: Path) -> Problem | None:
    """None when the link stays inside the root; a problem (and a skip) otherwise."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return _problem(root, link, "dangling or looping symlink skipped")
    if not target.is_relative_to(root):
        return _problem(root, link, "symlink points outside the project root; not followed")
    return None


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(
        fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.rstrip("/") + "/*")
        for p in patterns
    )


def _problem(root: Path, path: Path, message: str) -> Problem:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = str(path)
    return Problem(kind=ProblemKind.DISCOVERY, message=message, path=rel)
