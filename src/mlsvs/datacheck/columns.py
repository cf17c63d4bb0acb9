"""What kind of data a column of a sampled table holds, decided from its values and its name.

* ``numeric``: at least 95 % of the non-empty cells are finite numbers;
* ``text``: free text: mostly non-numeric with a mean length of at least 20 characters or at
  least four words per cell;
* ``categorical``: non-numeric, and distinct values are few (at most half the filled cells and
  at most 1,000);
* ``identifier``: named like an identifier (``id``, ``*_id``, ``uuid``, ``key`` ...) or a short
  non-numeric value that is (nearly) unique per row: never a model feature;
* ``empty``: no value at all.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.normalise import number

if TYPE_CHECKING:
    from collections.abc import Sequence

TEXT_MIN_LENGTH = 20
TEXT_MIN_WORDS = 4
MAX_CATEGORIES = 1000
_ID_NAME = re.compile(r"(^|[_\-\s.])(id|ids|uuid|guid|key|pk|index|idx|row)$|^(id|uuid|guid)[_\-]")


@enum.unique
class ColumnKind(enum.StrEnum):
    """The role a column can play in a model."""

    NUMERIC = "numeric"
    TEXT = "text"
    CATEGORICAL = "categorical"
    IDENTIFIER = "identifier"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnProfile:
    """Summary of one column."""

    name: str
    kind: ColumnKind
    filled: int
    distinct: int


def id_named(name: str) -> bool:
    """True for names like ``id``, ``order_id``, ``customerId``, ``uuid``, ``row_key``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", name.strip()).lower()
    return bool(_ID_NAME.search(spaced))


def profile(name: str, values: Sequence[str]) -> ColumnProfile:
    """Classify one column from its sampled cells."""
    filled = [v for v in values if v.strip()]
    distinct = len(set(filled))
    if not filled:
        return ColumnProfile(name=name, kind=ColumnKind.EMPTY, filled=0, distinct=0)
    if id_named(name):
        kind = ColumnKind.IDENTIFIER
    elif sum(number(v) is not None for v in filled) >= 0.95 * len(filled):
        kind = ColumnKind.NUMERIC
    else:
        mean_length = sum(len(v) for v in filled) / len(filled)
        mean_words = sum(len(v.split()) for v in filled) / len(filled)
        if mean_length >= TEXT_MIN_LENGTH or mean_words >= TEXT_MIN_WORDS:
            kind = ColumnKind.TEXT
        elif distinct <= min(MAX_CATEGORIES, max(2, len(filled) // 2)):
            kind = ColumnKind.CATEGORICAL
        else:
            kind = ColumnKind.IDENTIFIER
    return ColumnProfile(name=name, kind=kind, filled=len(filled), distinct=distinct)
