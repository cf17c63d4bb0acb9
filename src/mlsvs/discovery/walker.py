"""Walk a project tree safely: skip tool directories, never leave the root, open nothing but
directories, and report every path skipped (with why) as a ``Gap``."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.discovery.classify import types_by_name
from mlsvs.model.coverage import Gap, GapReason

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
    allocated: int | None = None
    """Bytes actually allocated on disk (``st_blocks * 512``), when the platform says."""

    @property
    def sparse(self) -> bool:
        """Whether most of the file is holes: a placeholder, not real content."""
        return (
            self.allocated is not None
            and self.size >= _SPARSE_MIN_BYTES
            and self.allocated * 4 < self.size
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Walk:
    """The files found and every path skipped on the way, with why."""

    files: tuple[WalkedFile, ...]
    directories: tuple[str, ...]
    gaps: tuple[Gap, ...]
    skipped_dirs: tuple[tuple[str, str], ...] = ()
    """(directory, why) for tool directories left out by convention (virtual environments,
    dependencies, build output); VCS metadata and caches are left out without a note."""


# Sparse files smaller than this are not worth flagging (filesystem block granularity).
_SPARSE_MIN_BYTES = 1024 * 1024


def walk(root: Path, *, include: Iterable[str], exclude: Iterable[str], limits: Limits) -> Walk:
    """List the regular files of ``root`` in sorted order, honouring globs and limits.

    Nothing but directories is opened: FIFOs, devices and sockets are reported and never
    touched (opening a FIFO blocks forever), links are resolved without following them out
    of the root, and every directory that cannot be listed is reported.
    """
    root = root.resolve()
    includes, excludes = tuple(include), tuple(exclude)
    files: list[WalkedFile] = []
    directories: list[str] = []
    gaps: list[Gap] = []
    skipped_dirs: list[tuple[str, str]] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    truncated = False
    while stack:
        directory, depth = stack.pop()
        try:
            with os.scandir(directory) as scanner:
                entries = sorted(scanner, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            gaps.append(_gap(root, directory, GapReason.UNREADABLE, _why(exc), ()))
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if _matches(rel, excludes):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                gaps.append(_gap(root, Path(entry.path), GapReason.UNREADABLE, _why(exc)))
                continue
            if stat.S_ISDIR(st.st_mode):
                why = _skip_dir(entry)
                if why is not None:
                    if why:
                        skipped_dirs.append((rel, why))
                    continue
                if depth + 1 > limits.max_depth:
                    gaps.append(
                        _gap(
                            root,
                            Path(entry.path),
                            GapReason.LIMIT,
                            f"max_depth ({limits.max_depth}) reached",
                            (),
                        )
                    )
                    continue
                directories.append(rel)
                stack.append((Path(entry.path), depth + 1))
                continue
            if includes and not _matches(rel, includes):
                continue
            if stat.S_ISLNK(st.st_mode):
                resolved = _symlink(root, Path(entry.path))
                if isinstance(resolved, Gap):
                    gaps.append(resolved)
                    continue
                st = resolved
                if stat.S_ISDIR(st.st_mode):
                    continue  # a link to a directory inside the root: walked there
            if not stat.S_ISREG(st.st_mode):
                gaps.append(
                    _gap(root, Path(entry.path), GapReason.NOT_REGULAR, _special_kind(st.st_mode))
                )
                continue
            if len(files) >= limits.max_files:
                truncated = True
                break
            blocks = getattr(st, "st_blocks", None)
            files.append(
                WalkedFile(
                    path=rel,
                    size=st.st_size,
                    allocated=None if blocks is None else blocks * 512,
                )
            )
        if truncated:
            break
    if truncated:
        gaps.append(
            Gap(
                item="*",
                reason=GapReason.LIMIT,
                detail=f"max_files ({limits.max_files}) reached: the rest of the tree was "
                "not examined; raise [limits] max_files",
            )
        )
    files.sort(key=lambda f: f.path)
    directories.sort()
    gaps.sort(key=lambda g: (g.item, g.reason.value))
    return Walk(
        files=tuple(files),
        directories=tuple(directories),
        gaps=tuple(gaps),
        skipped_dirs=tuple(sorted(skipped_dirs)),
    )


def _skip_dir(entry: os.DirEntry[str]) -> str | None:
    """None to walk the directory; else why it is skipped ('' = silently: VCS, caches)."""
    if entry.name in _SILENT_DIRS:
        return ""
    if entry.name in SKIPPED_DIRS or entry.name.endswith(".egg-info"):
        return _WHY.get(entry.name, "packaging metadata")
    # Any directory holding a virtual environment, whatever its name.
    try:
        if Path(entry.path, "pyvenv.cfg").is_file():
            return "virtual environment"
    except OSError:
        pass
    return None


_SILENT_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
     ".ipynb_checkpoints", ".idea", ".vscode", ".tox", ".nox"}
)  # fmt: skip
_WHY = {
    ".venv": "virtual environment",
    "venv": "virtual environment",
    "node_modules": "third-party dependencies",
    "site-packages": "third-party dependencies",
    ".eggs": "third-party dependencies",
    "build": "build output",
    "dist": "build output",
}


def _symlink(root: Path, link: Path) -> os.stat_result | Gap:
    """The target's stat when the link stays inside the root; a gap (and a skip) otherwise."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return _gap(root, link, GapReason.SYMLINK, "symlink loop; not followed")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _gap(root, link, GapReason.SYMLINK, "symlink loop; not followed")
        return _gap(root, link, GapReason.SYMLINK, f"dangling symlink ({_why(exc)})")
    if not target.is_relative_to(root):
        return _gap(root, link, GapReason.SYMLINK, "points outside the project root; not followed")
    try:
        return target.stat()
    except OSError as exc:
        return _gap(root, link, GapReason.UNREADABLE, _why(exc))


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO); never opened"
    if stat.S_ISSOCK(mode):
        return "socket; never opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file; never opened"
    return "not a regular file; never opened"


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(
        fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.rstrip("/") + "/*")
        for p in patterns
    )


def _gap(
    root: Path,
    path: Path,
    reason: GapReason,
    detail: str,
    could_be: tuple[str, ...] | None = None,
) -> Gap:
    """A gap for ``path``; ``could_be`` defaults to what its name suggests it may be."""
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = str(path)
    kinds = types_by_name(rel) if could_be is None else could_be
    return Gap(item=rel, reason=reason, detail=detail, could_be=kinds)
