"""Which file names are dependency manifests, as pip, setuptools, Poetry, PDM, Pipenv, uv and
conda name them. Shared by discovery (which classifies) and the supply chain (which parses).

Name-based on purpose: for these text formats the name is the contract with the tools that read
them. Paths are POSIX and relative to the project root.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

# (lower-cased file-name pattern, manifest kind); the first match wins.
_BY_NAME: tuple[tuple[str, str], ...] = (
    ("pyproject.toml", "pyproject"),
    ("pylock.toml", "pylock"),
    ("pylock.*.toml", "pylock"),
    ("uv.lock", "uv_lock"),
    ("poetry.lock", "poetry_lock"),
    ("pdm.lock", "pdm_lock"),
    ("pipfile", "pipfile"),
    ("pipfile.lock", "pipfile_lock"),
    ("setup.py", "setup_py"),
    ("setup.cfg", "setup_cfg"),
    ("environment.yml", "conda"),
    ("environment.yaml", "conda"),
    ("environment[-_.]*.yml", "conda"),
    ("environment[-_.]*.yaml", "conda"),
    ("conda.yml", "conda"),
    ("conda.yaml", "conda"),
    ("conda[-_.]*.yml", "conda"),
    ("conda[-_.]*.yaml", "conda"),
    ("*requirements*.txt", "requirements"),
    ("*requirements*.in", "requirements"),
    ("*requirements*.pip", "requirements"),
    ("constraints*.txt", "requirements"),
    ("*constraints.txt", "requirements"),
    ("constraints*.in", "requirements"),
)
# Folders whose .txt/.in files are requirements files by convention (requirements/dev.txt).
_REQUIREMENT_DIRS = frozenset({"requirements", "requirement", "reqs", "requirements.d"})
# Text files in those folders that are documentation, not requirements.
_NOT_REQUIREMENTS = frozenset({"readme.txt", "license.txt", "manifest.in"})


def manifest_kind(path: str) -> str | None:
    """The manifest kind of ``path`` (``requirements``, ``pyproject`` …), or None."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    if name in _NOT_REQUIREMENTS:
        return None
    for pattern, kind in _BY_NAME:
        if fnmatch.fnmatchcase(name, pattern):
            return kind
    parent = pure.parent.name.lower()
    if parent in _REQUIREMENT_DIRS and pure.suffix.lower() in {".txt", ".in"}:
        return "requirements"
    return None
