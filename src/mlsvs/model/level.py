"""The verification level, apart from the catalogue types so that loading a configuration
(every command, ``mlsvs scan`` included) does not build the whole catalogue model."""

from __future__ import annotations

import enum


@enum.unique
class Level(enum.IntEnum):
    """Verification level. Cumulative: a level-1 requirement applies at L1, L2 and L3."""

    L1 = 1
    L2 = 2
    L3 = 3

    def __str__(self) -> str:
        return f"L{self.value}"

    @classmethod
    def parse(cls, text: str | int) -> Level:
        """Accept ``L2``, ``l2``, ``2`` or ``2``; raise ``ValueError`` otherwise."""
        raw = str(text).strip().upper().removeprefix("L")
        if raw not in {"1", "2", "3"}:
            raise ValueError(f"unknown level {text!r} (expected L1, L2 or L3)")
        return cls(int(raw))
