"""Vectorised exact and quantised row overlap (pyarrow + NumPy), the same answer as ``overlap``.

Per column and record batch the cells are dictionary-encoded in C++; of the distinct values,
plain ASCII text cells are normalised in C++ (lower case, collapsed
and trimmed whitespace: exactly ``normalise.normalise`` for them); numbers and non-ASCII cells go
through the Python ``normalise``/``quantise`` once per distinct value (cached across batches), so
the equivalence of cells is exactly the row-wise one. Every normalised cell gets a 64-bit digest
computed over the Arrow buffers (``minhash.hash_texts``). A row key is the column digests
combined in ``uint64`` arithmetic (multiply-add with odd constants, then the SplitMix64
finaliser); collisions between different rows have probability ~ n^2 / 2^65. The evaluation
split's keys are sorted once; the training split is matched batch by batch with
``searchsorted``. Python only touches the matched rows. Rows not matched are handed back for the
MinHash text pass (``overlap._minhash``) when text columns take part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.normalise import cell_forms, quantise

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import TableSource

    U64 = npt.NDArray[np.uint64]

_CACHE_LIMIT = 2_000_000
_MULTIPLIER = 0x9E3779B97F4A7C15


@dataclass(slots=True)
class _ColumnHasher:
    """Cell forms of one column, vectorised; Python only for distinct number/non-ASCII cells.

    Such cells' forms are cached across batches (``known``), looked up in C++.
    """

    digits: int
    known: Any = None
    """Distinct number/non-ASCII cells already seen (a pyarrow string array), in order."""
    exact_forms: Any = None
    near_forms: Any = None
    blank: Any = None
    """Their exact and near forms (string arrays) and blank flags (NumPy), by position."""

    def keys(self, array: object) -> tuple[U64, U64, npt.NDArray[np.bool_], pa.Array]:
        """Exact digest, near digest, blank flag and near form (a string array) of every cell."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from mlsvs.datacheck.minhash import Texts, hash_texts

        cells = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        # Every distinct cell is normalised and hashed once; rows take theirs by code.
        encoded = pc.dictionary_encode(cells)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        distinct = encoded.dictionary
        fast = _fast_forms(distinct)
        slow = pc.or_(
            pc.match_substring_regex(distinct, _NUMBER_CELL),
            pc.match_substring_regex(distinct, _SLOW_TEXT),
        )
        blank = np.asarray(pc.equal(fast, "").to_numpy(zero_copy_only=False), dtype=bool)
        if not pc.any(slow).as_py():
            exact = hash_texts(Texts.from_arrow(fast))
            return exact[codes], exact[codes], blank[codes], fast.take(encoded.indices)
        where = np.flatnonzero(slow.to_numpy(zero_copy_only=False))
        at = self._positions(pc.take(distinct, where))
        exact_forms = self.exact_forms.take(at)
        near_forms = self.near_forms.take(at)
        blank[where] = self.blank[at.to_numpy(zero_copy_only=False)]
        exact = hash_texts(Texts.from_arrow(pc.replace_with_mask(fast, slow, exact_forms)))
        near_distinct = pc.replace_with_mask(fast, slow, near_forms)
        near = hash_texts(Texts.from_arrow(near_distinct))
        return exact[codes], near[codes], blank[codes], near_distinct.take(encoded.indices)

    def _positions(self, values: pa.Array) -> pa.Array:
        """Where each of the (distinct) ``values`` is in ``known``; unseen ones are added.

        The lookup is one hash join in C++ (``index_in``); Python computes ``cell_forms`` only
        for cells never seen in an earlier batch.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if not len(values):
            return pa.array([], pa.int32())
        if self.known is not None and len(self.known) > _CACHE_LIMIT:
            self.known = None
        at = pc.index_in(values, value_set=self.known) if self.known is not None else None
        new = values if at is None else values.filter(pc.is_null(at))
        if at is not None and not len(new):
            return at
        if len(new):
            cells = new.to_pylist()
            forms = [cell_forms(v, self.digits) for v in cells]
            parts = (
                pa.array([f[0] for f in forms], pa.string()),
                pa.array([f[1] for f in forms], pa.string()),
                np.fromiter((not v.strip() for v in cells), dtype=bool, count=len(cells)),
            )
            if self.known is None:
                self.known, self.exact_forms, self.near_forms, self.blank = new, *parts
            else:
                self.known = pa.concat_arrays([self.known, new])
                self.exact_forms = pa.concat_arrays([self.exact_forms, parts[0]])
                self.near_forms = pa.concat_arrays([self.near_forms, parts[1]])
                self.blank = np.concatenate([self.blank, parts[2]])
        return pc.index_in(values, value_set=self.known)


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
    """The compared columns' near forms (``quantise`` of every cell, pyarrow string arrays),
    for the MinHash pass."""


def keyed_batches(
    sources: Sequence[TableSource], columns: Sequence[str], digits: int, progress: Progress
) -> Iterator[KeyedBatch]:
    """Exact and near row keys for every batch of every file, in order."""
    import numpy as np

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
                forms = []
                for hasher, i in zip(hashers, index, strict=True):
                    e, n, b, form = hasher.keys(batch.columns[i])
                    forms.append(form)
                    exact = exact * np.uint64(_MULTIPLIER) + e
                    near = near * np.uint64(_MULTIPLIER) + n
                    blank &= b
                yield KeyedBatch(number_, batch.start, _mix(exact), _mix(near), blank, tuple(forms))
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

    result: npt.NDArray[np.int64] = np.full(len(keys), -1, dtype=np.int64)
    if not len(table):
        return result
    at, slot = members(keys, table)
    result[at] = first[slot]
    return result


_FILTER_BITS = 24


def members(keys: U64, table: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions of the ``keys`` found in the sorted ``table``, and where each was found.

    A byte map over the top 24 bits of the table's keys (16 MiB, built per call for tables of
    more than 4,096 keys) drops most absent keys before the binary search; it never drops a
    present one.
    """
    import numpy as np

    at = np.arange(len(keys), dtype=np.int64)
    if len(table) > 4096 and len(keys) > 4 * len(table) // 16:
        shift = np.uint64(64 - _FILTER_BITS)
        present = np.zeros(1 << _FILTER_BITS, dtype=np.bool_)
        present[(table >> shift).astype(np.int64)] = True
        at = np.flatnonzero(present[(keys >> shift).astype(np.int64)])
    probe = keys[at]
    slot = np.searchsorted(table, probe).clip(0, len(table) - 1)
    found = table[slot] == probe
    return at[found], slot[found]


_NUMBER_CELL = r"^\s*[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$"
_SLOW_TEXT = r"[^\x00-\x7F]|[\x0b\x1c-\x1f]"
"""Non-ASCII text, or ASCII whitespace that Python (not RE2) counts as a space."""


def quantised_texts(columns: Sequence[Any], digits: int) -> list[str]:
    """``overlap._text`` of every row (cells quantised, joined by spaces), vectorised."""
    texts: list[str] = row_texts(columns, digits).to_pylist()
    return texts


def row_texts(columns: Sequence[Any], digits: int) -> pa.Array:
    """``quantised_texts`` as a pyarrow string array (no Python string per row)."""
    return join_cells([normalised_array(array, digits) for array in columns])


def join_cells(parts: Sequence[pa.Array]) -> pa.Array:
    """Row texts: the (already normalised) cells of each row joined by one space."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(parts) == 1:
        return parts[0]
    joined = pc.binary_join_element_wise(*parts, " ")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def normalised_cells(array: object, digits: int) -> list[str]:
    """``quantise(cell, digits)`` of every cell (``digits`` 12: ``normalise``), vectorised."""
    cells: list[str] = normalised_array(array, digits).to_pylist()
    return cells


def _fast_forms(cells: pa.Array) -> pa.Array:
    """Lower-cased, whitespace-collapsed, trimmed cells (``normalise`` of plain ASCII text)."""
    import pyarrow.compute as pc

    lowered = pc.utf8_lower(cells)
    # Only cells with a run of whitespace to collapse go through the (slower) regex replace.
    runs = pc.fill_null(pc.match_substring_regex(lowered, _RUN), False)
    if pc.any(runs).as_py():
        collapsed = pc.replace_substring_regex(lowered.filter(runs), r"[\t\n\f\r ]+", " ")
        lowered = pc.replace_with_mask(lowered, runs, collapsed)
    return pc.utf8_trim_whitespace(lowered)


_RUN = r"[\t\n\f\r]|  "
"""A whitespace run that is not already one space."""


def normalised_array(array: object, digits: int) -> pa.Array:
    """``normalised_cells`` as a pyarrow string array.

    ASCII cells that are not numbers are lower-cased, whitespace-collapsed and trimmed in C++,
    which is exactly ``normalise`` for them (NFKC is the identity on ASCII and ``casefold``
    equals ``lower``); numbers and non-ASCII cells go through ``quantise`` in Python, once per
    distinct value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    fast = _fast_forms(cells)
    slow = pc.or_(
        pc.match_substring_regex(cells, _NUMBER_CELL),
        pc.match_substring_regex(cells, _SLOW_TEXT),
    )
    if not pc.any(slow).as_py():
        return fast
    encoded = pc.dictionary_encode(pc.filter(cells, slow))
    forms = pa.array([quantise(v, digits) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.replace_with_mask(fast, slow, pc.take(forms, encoded.indices))
