"""What a check (or discovery) could not cover, and why.

A verdict is only as good as what it looked at. Every check says which items it could not read,
parse or judge (a ``Gap``), and discovery says which paths it skipped. A requirement passes only
when nothing relevant to it is uncovered; otherwise it is *not verified*, with the gaps named.
Unknown is not pass, and unknown is not malicious either: a gap is never a failure on its own.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# Control characters, bidi overrides (Trojan Source) and lone surrogates (bytes of a name that
# is not UTF-8): shown escaped,
# so a hostile file name cannot break a report line, an XML document or a JSON encoder.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(name: str) -> str:
    """``name`` with control characters and undecodable bytes escaped (``\\x1b``, ``\\xff``)."""
    return _UNPRINTABLE.sub(_escape, name)


@enum.unique
class GapReason(enum.StrEnum):
    """Why an item was not covered."""

    UNREADABLE = "unreadable"
    """Opening or reading failed (permission denied, I/O error, vanished)."""
    TOO_LARGE = "too_large"
    """Over a size limit: not read at all, or only in part."""
    UNPARSEABLE = "unparseable"
    """Read but not understood: truncated, corrupt, wrong encoding, syntax error."""
    UNSUPPORTED = "unsupported"
    """A format, language or kind the check cannot analyse (unknown model format, kernel)."""
    OUTSIDE_DATABASE = "outside_database"
    """The reference data has nothing on the item (package without advisory data)."""
    NOT_REGULAR = "not_regular"
    """A FIFO, device or socket: never opened, so its content is unknown."""
    SYMLINK = "symlink"
    """A dangling, looping or out-of-root symbolic link that was not followed."""
    EMPTY = "empty"
    """Zero bytes: there is nothing to assess (a placeholder or a failed download)."""
    NOT_PRESENT = "not_present"
    """The content is elsewhere: a Git LFS / git-annex pointer, a sparse placeholder."""
    LIMIT = "limit"
    """A walk limit was hit (max_files, max_depth): the items beyond it were never seen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """One item a check or discovery could not cover."""

    item: str
    """What was not covered: a path relative to the project root (archive members as
    ``outer.zip!inner.pkl``), a package name, a column; ``*`` for "the rest of the tree"."""
    reason: GapReason
    detail: str = ""
    """One line of specifics, e.g. ``Permission denied`` or ``larger than 64 MiB``."""
    could_be: tuple[str, ...] = ()
    """For a path discovery could not classify: the artifact types it may be (class names
    from ``mlsvs.model.artifact``, e.g. ``ModelArtifact``). Empty means it could be anything,
    so every check that reads project files is affected."""

    def describe(self) -> str:
        """``models/a.pt (unreadable: Permission denied)``, with unprintable characters escaped."""
        detail = f": {self.detail}" if self.detail else ""
        return f"{printable(self.item)} ({self.reason.value}{printable(detail)})"


def describe_gaps(gaps: tuple[Gap, ...] | list[Gap], limit: int = 5) -> str:
    """``a.pt (unreadable), b.pkl (too_large) and 3 more``: a short, bounded summary."""
    unique = sorted({g.describe() for g in gaps})
    head = ", ".join(unique[:limit])
    more = len(unique) - limit
    return f"{head} and {more} more" if more > 0 else head
