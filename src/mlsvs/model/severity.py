"""Severity and Location, apart from the check-result model so that ``mlsvs scan`` (whose
findings carry both) does not build outcomes, measurements and coverage gaps at start-up.
Re-exported by :mod:`mlsvs.model.result`, where the rest of the code imports them from."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@enum.unique
class Severity(enum.StrEnum):
    """How bad a failure is. Ordered: ``Severity.rank`` compares them."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 (info) to 4 (critical)."""
        return _SEVERITY_ORDER.index(self)

    @property
    def sarif_level(self) -> str:
        """SARIF ``level``: error for high and critical, warning for medium, note below."""
        return _SARIF_LEVEL[self]

    @property
    def security_score(self) -> str:
        """SARIF ``security-severity`` (GitHub's CVSS-like 0-10 scale, a numeric string)."""
        return _SECURITY_SCORE[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Case-insensitive parse; ``ValueError`` names the accepted values."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {allowed})") from None


_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SECURITY_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where in a target the outcome applies. All fields optional."""

    line: int | None = None
    column: int | None = None
    offset: int | None = None
    """Byte offset in a stream (pickle opcode position, header offset)."""
    member: str | None = None
    """Path of a member inside an archive (``model/data.pkl``), nested with ``!``."""
    pointer: str | None = None
    """A path inside a structured artifact, e.g. a tensor name or JSON pointer."""

    def describe(self) -> str:
        """Human-readable, e.g. ``archive/data.pkl @ 0x1f`` or ``line 12``."""
        parts: list[str] = []
        if self.member is not None:
            parts.append(self.member)
        if self.pointer is not None:
            parts.append(self.pointer)
        if self.line is not None:
            parts.append(f"line {self.line}" + (f":{self.column}" if self.column else ""))
        if self.offset is not None:
            parts.append(f"@ {self.offset:#x}")
        return " ".join(parts)
