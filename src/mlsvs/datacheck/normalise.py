"""Cell and row normalisation for duplicate detection, and compact row fingerprints.

Exact comparison (after normalisation): surrounding whitespace is stripped, inner runs of
whitespace collapse to one space, text is case-folded (Unicode NFKC first), and anything that
parses as a finite number is rewritten with ``NUMBER_DIGITS`` significant digits, so ``1.50``,
``1.5``, `` 1.5e0 `` and ``+1.500`` are the same value. Near comparison of numeric cells
quantises them further to ``digits`` significant digits (``quantise``).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

NUMBER_DIGITS = 12
"""Significant digits kept by the exact normalisation (absorbs float formatting noise)."""
_SPACE = re.compile(r"\s+")
_NUMBERISH = re.compile(r"^[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_SEP = "\x1f"


def number(text: str) -> float | None:
    """The finite number ``text`` spells, or None (no NaN/inf, no thousands separators)."""
    stripped = text.strip()
    if not stripped or not _NUMBERISH.match(stripped) or "_" in stripped:
        return None
    value = float(stripped)
    return value if math.isfinite(value) else None


def _fmt(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return "0" if float(text) == 0 else text


def normalise(text: str) -> str:
    """The exact-comparison form of one cell."""
    value = number(text)
    if value is not None:
        return _fmt(value, NUMBER_DIGITS)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", folded).strip()


def quantise(text: str, digits: int) -> str:
    """The near-comparison form of one cell: numbers keep ``digits`` significant digits."""
    value = number(text)
    if value is not None:
        return _fmt(value, digits)
    return normalise(text)


def cell_forms(text: str, digits: int) -> tuple[str, str]:
    """``(normalise(text), quantise(text, digits))`` with one parse."""
    value = number(text)
    if value is not None:
        return _fmt(value, NUMBER_DIGITS), _fmt(value, digits)
    folded = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return folded, folded


def fingerprint(cells: Sequence[str]) -> bytes:
    """An 8-byte digest of already-normalised cells (collisions ~ n²/2⁶⁵: negligible)."""
    return hashlib.blake2b(_SEP.join(cells).encode("utf-8"), digest_size=8).digest()


def row_fingerprint(row: Sequence[str], indexes: Sequence[int]) -> bytes:
    """Exact fingerprint of the cells of ``row`` at ``indexes``."""
    return fingerprint([normalise(row[i]) for i in indexes])


def near_fingerprint(row: Sequence[str], indexes: Sequence[int], digits: int) -> bytes:
    """Quantised fingerprint of the cells of ``row`` at ``indexes``."""
    return fingerprint([quantise(row[i], digits) for i in indexes])


def is_blank(row: Sequence[str], indexes: Sequence[int]) -> bool:
    """True when every compared cell is empty (such rows are never reported as overlap)."""
    return all(not row[i].strip() for i in indexes)
