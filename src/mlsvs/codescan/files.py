"""Finding the files to scan under the paths given on a command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
        ".ipynb_checkpoints",
    }
)


class PathError(ValueError):
    """A path given to scan does not exist."""


def is_code(path: Path) -> bool:
    """Python sources and notebooks."""
    return path.suffix.lower() in {".py", ".ipynb"}


def collect(paths: list[Path], wanted: Callable[[Path], bool]) -> list[tuple[Path, str]]:
    """``(file, display path)`` for every wanted file under ``paths``, sorted, no duplicates.

    Files named explicitly are always included; directories are walked, skipping VCS,
    cache and virtual-environment folders. Symbolic links are not followed.
    """
    found: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            raise PathError(f"{path}: no such file or directory")
        if path.is_file():
            found.setdefault(path.as_posix(), path)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in filenames:
                file = Path(dirpath) / name
                if wanted(file) and not file.is_symlink():
                    found.setdefault(file.as_posix(), file)
    return [(found[key], key) for key in sorted(found)]
