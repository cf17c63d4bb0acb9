"""Vectorised exact and quantised row overlap (pyarrow + NumPy), the same answer as ``overlap``.

Per column and record batch the distinct cell texts are dictionary-encoded in C++; only the
*distinct* values go through the Python normalisation (``normalise.normalise`` /
``normalise.quantise``, so the equivalence of cells is exactly the row-wise one) and get an
8-byte BLAKE2b digest, cached per column across batches. A row key is the column digests
combined in ``uint64`` arithmetic (multiply-add with odd constants, then the SplitMix64
finaliser); collisions between different rows have probability ~ n^2 / 2^65. The evaluation
split's keys are sorted once; the training split is matched batch by batch with
``searchsorted``. Python only touches the matched rows. Rows not matched are handed back for the
MinHash text pass (``overlap._minhash``) when text columns take part.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.normalise import normalise, number, quantise

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import numpy as np
    import numpy.typing as npt

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import TableSource

    U64 = npt.NDArray[np.uint64]

_CACHE_LIMIT = 2_000_000
_MULTIPLIER = 0x9E3779B97F4A7C15


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(slots=True)
class _ColumnHasher:
    """Cell text -> (exact digest, near digest, blank), cached per distinct text."""

    digits: int
    cache: dict[str, tuple[int, int, bool]] = field(default_factory=dict)

    def lookup(self, values: list[str]) -> tuple[list[int], list[int], list[bool]]:
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        exact: list[int] = []
        near: list[int] = []
        blank: list[bool] = []
        for value in values:
            entry = self.cache.get(value)
            if entry is None:
                normal = normalise(value)
                e = _digest(normal)
                n = e if number(value) is None else _digest(quantise(value, self.digits))
                entry = (e, n, not value.strip())
                self.cache[value] = entry
            exact.append(entry[0])
            near.append(entry[1])
            blank.append(entry[2])
        return exact, near, blank


def _mix(keys: U64) -> U64:
    import numpy as np

    z = keys.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


@dataclass(frozen=True, slots=True)
class KeyedBatch:
    """Row keys of one batch of one file."""

    source: int
    start: int
    exact: Any
    near: Any
    blank: Any
    """Rows whose compared cells are all empty (never overlap)."""
    columns: tuple[Any, ...]
    """The compared columns (pyarrow string arrays), for the MinHash pass."""


def keyed_batches(
    sources: Sequence[TableSource], columns: Sequence[str], digits: int, progress: Progress
) -> Iterator[KeyedBatch]:
    """Exact and near row keys for every batch of every file, in order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from mlsvs.datacheck.columnar import column_batches

    hashers = [_ColumnHasher(digits) for _ in columns]
    with np.errstate(over="ignore"):
        for number_, source in enumerate(sources):
            header, batches = column_batches(source)
            index = [header.index(c) for c in columns]
            done = 0
            for batch in batches:
                rows = batch.rows
                exact = np.zeros(rows, dtype=np.uint64)
                near = np.zeros(rows, dtype=np.uint64)
                blank = np.ones(rows, dtype=bool)
                chosen = tuple(batch.columns[i] for i in index)
                for hasher, array in zip(hashers, chosen, strict=True):
                    encoded = pc.dictionary_encode(array)
                    if isinstance(encoded, pa.ChunkedArray):
                        encoded = encoded.combine_chunks()
                    codes = encoded.indices.to_numpy(zero_copy_only=False)
                    e, n, b = hasher.lookup(encoded.dictionary.to_pylist())
                    exact = exact * np.uint64(_MULTIPLIER) + np.asarray(e, dtype=np.uint64)[codes]
                    near = near * np.uint64(_MULTIPLIER) + np.asarray(n, dtype=np.uint64)[codes]
                    blank &= np.asarray(b, dtype=bool)[codes]
                yield KeyedBatch(number_, batch.start, _mix(exact), _mix(near), blank, chosen)
                done += rows
                progress(source.display, done, None)


@dataclass(slots=True)
class LaterIndex:
    """The evaluation split's distinct keys (sorted) and the row of their first occurrence."""

    exact: Any
    exact_first: Any
    near: Any
    near_first: Any
    sources: Any
    starts: Any
    rows: int


def _first(keys: U64, order_rows: npt.NDArray[np.int64]) -> tuple[U64, npt.NDArray[np.int64]]:
    import numpy as np

    unique, first = np.unique(keys, return_index=True)
    return unique, order_rows[first]


def index_later(batches: Iterator[KeyedBatch]) -> tuple[LaterIndex, list[KeyedBatch]]:
    """Index the evaluation split (its batches are kept for the MinHash pass)."""
    import numpy as np

    kept = list(batches)
    if not kept:
        empty = np.zeros(0, dtype=np.uint64)
        none = np.zeros(0, dtype=np.int64)
        return LaterIndex(empty, none, empty, none, none, none, 0), kept
    exact = np.concatenate([b.exact for b in kept])
    near = np.concatenate([b.near for b in kept])
    blank = np.concatenate([b.blank for b in kept])
    sources = np.concatenate([np.full(len(b.exact), b.source) for b in kept])
    starts = np.concatenate([np.arange(len(b.exact)) + b.start for b in kept])
    rows = np.flatnonzero(~blank)
    e, e_first = _first(exact[rows], rows)
    n, n_first = _first(near[rows], rows)
    return LaterIndex(e, e_first, n, n_first, sources, starts, len(exact)), kept


def lookup(keys: U64, table: U64, first: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For each key, the later row holding it, or -1."""
    import numpy as np

    if not len(table):
        return np.full(len(keys), -1, dtype=np.int64)
    slot = np.searchsorted(table, keys).clip(0, len(table) - 1)
    found = table[slot] == keys
    result: npt.NDArray[np.int64] = np.where(found, first[slot], -1)
    return result


_NUMBER_CELL = r"^\s*[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$"
_SLOW_TEXT = r"[^\x00-\x7F]|[\x0b\x1c-\x1f]"
"""Non-ASCII text, or ASCII whitespace that Python (not RE2) counts as a space."""


def quantised_texts(columns: Sequence[Any], digits: int) -> list[str]:
    """``overlap._text`` of every row (cells quantised, joined by spaces), vectorised.

    ASCII cells that are not numbers are lower-cased, whitespace-collapsed and trimmed in C++,
    which is exactly ``normalise`` for them (NFKC is the identity on ASCII and ``casefold``
    equals ``lower``); numbers and non-ASCII cells go through ``quantise`` in Python.
    """
    parts = [normalised_cells(array, digits) for array in columns]
    return [" ".join(row) for row in zip(*parts, strict=True)]


def normalised_cells(array: object, digits: int) -> list[str]:
    """``quantise(cell, digits)`` of every cell (``digits`` 12: ``normalise``), vectorised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.chunked_array([array]) if isinstance(array, pa.Array) else array
    fast: list[str] = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(pc.utf8_lower(cells), r"[\t\n\f\r ]+", " ")
    ).to_pylist()
    slow = pc.or_(
        pc.match_substring_regex(cells, _NUMBER_CELL),
        pc.match_substring_regex(cells, _SLOW_TEXT),
    )
    positions = pc.indices_nonzero(slow)
    if len(positions):
        # Numbers repeat: quantise each distinct one once.
        encoded = pc.dictionary_encode(pc.take(cells, positions)).combine_chunks()
        forms = [quantise(v, digits) for v in encoded.dictionary.to_pylist()]
        for position, code in zip(positions.to_pylist(), encoded.indices.to_pylist(), strict=True):
            fast[position] = forms[code]
    return fast
