"""Dependency records parsed from manifests and lock files (pure data)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@enum.unique
class ManifestKind(enum.StrEnum):
    """The manifest formats understood; values match ``DependencyManifest.manifest``."""

    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    PYLOCK = "pylock"
    UV_LOCK = "uv_lock"
    POETRY_LOCK = "poetry_lock"
    PDM_LOCK = "pdm_lock"
    PIPFILE = "pipfile"
    PIPFILE_LOCK = "pipfile_lock"
    SETUP_PY = "setup_py"
    SETUP_CFG = "setup_cfg"
    CONDA = "conda"

    @property
    def is_lock(self) -> bool:
        """Lock files pin every package of the resolved environment."""
        return self in _LOCKS


_LOCKS = frozenset(
    {
        ManifestKind.PYLOCK,
        ManifestKind.UV_LOCK,
        ManifestKind.POETRY_LOCK,
        ManifestKind.PDM_LOCK,
        ManifestKind.PIPFILE_LOCK,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """One declared or locked package."""

    name: str
    """Normalised name (PEP 503)."""
    source: str
    """Manifest path relative to the project root."""
    line: int | None = None
    specifier: str = ""
    """Version constraint as written (``==2.6.0``, ``>=1,<2``, ``^1.2``)."""
    version: str | None = None
    """The exact version when pinned (``==`` / ``===`` / conda ``==``) or locked."""
    hashes: tuple[str, ...] = ()
    """``alg:hex`` digests of the distribution files."""
    url: str = ""
    """Direct URL or VCS reference, when given instead of an index version."""
    commit: str = ""
    """Immutable VCS commit, when the URL names one."""
    marker: str = ""
    extras: tuple[str, ...] = ()
    group: str = ""
    """Optional-dependency group / Poetry group / ``pip`` for conda's pip section."""
    ecosystem: str = "PyPI"
    """``PyPI`` or ``conda``."""
    local: bool = False
    """The project itself or a local path/editable: not a third-party supply."""
    unresolved: str = ""
    """Why the version cannot be known from the file (``${VER}`` substituted by pip at install
    time, a non-literal expression in ``setup.py``); such a package is never verified."""

    @property
    def pinned(self) -> bool:
        """One artifact only: an exact version, or a URL fixed by digest or commit."""
        if self.local:
            return True
        if self.unresolved:
            return False
        if self.version is not None:
            return True
        return bool(self.url) and (bool(self.commit) or "sha256=" in self.url)

    @property
    def hashed(self) -> bool:
        """Content-addressed: distribution hashes, or an immutable VCS commit."""
        return self.local or bool(self.hashes) or bool(self.commit)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedManifest:
    """Every dependency of one manifest (``-r`` includes expanded)."""

    path: str
    kind: ManifestKind
    dependencies: tuple[Dependency, ...]
    includes: tuple[str, ...] = ()
    """Other files read while parsing (requirements ``-r``/``-c``)."""
    problems: tuple[tuple[str, int | None, str], ...] = ()
    """``(path, line, message)`` per entry that could not be read; the rest still counts."""

    @property
    def unresolved(self) -> tuple[Dependency, ...]:
        """Dependencies whose version the file cannot tell (see ``Dependency.unresolved``)."""
        return tuple(d for d in self.dependencies if d.unresolved)


def commit_of(url: str) -> str:
    """The full commit hash a VCS URL is pinned to (``git+https://…@<sha>``), else ``""``."""
    if not url.startswith(("git+", "hg+", "svn+", "bzr+")):
        return ""
    ref = url.split("#", 1)[0].rsplit("@", 1)
    if len(ref) == 2 and _COMMIT.match(ref[1].lower()):
        return ref[1].lower()
    return ""
