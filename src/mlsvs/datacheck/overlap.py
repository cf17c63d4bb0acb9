"""Row overlap between two splits: exact (normalised) and near duplicates, streaming.

The later split (validation/test, usually the smaller) is indexed; the earlier one (train) is
streamed against the index, so memory grows with the evaluation split only. Rows are compared
on the columns both files share, minus the declared key/time columns.

* exact: 8-byte BLAKE2b of the normalised cells (``normalise.normalise``);
* near, numeric/tabular: the same over cells quantised to ``near_digits`` significant digits;
* near, text: when a shared column holds free text (mean length >= 20, mostly non-numeric),
  MinHash LSH over character shingles of the whole quantised row (``minhash``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.minhash import (
    EMPTY,
    ESTIMATE_MARGIN,
    MinHasher,
    Texts,
    exact_jaccard,
    require_numpy,
)
from mlsvs.datacheck.normalise import (
    is_blank,
    near_fingerprint,
    number,
    quantise,
    row_fingerprint,
)
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.table import read_header, table_header_and_batches

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy as np
    import numpy.typing as npt

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import Row, TableSource

EXAMPLES = 5
TEXT_MIN_LENGTH = 20
_PAIRS = 1 << 15
"""Candidate pairs compared per NumPy step (bounds memory to ~32 MiB at 128 permutations)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapParams:
    """How rows are compared."""

    near: bool = True
    near_digits: int = 4
    minhash_threshold: float = 0.8
    permutations: int = 128
    bands: int = 16
    shingle: int = 5
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Overlap:
    """Rows of the later split that also occur in the earlier one."""

    earlier: str
    later: str
    columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    rows_earlier: int
    rows_later: int
    exact: int
    """Distinct later-split rows with a normalised exact duplicate in the earlier split."""
    near: int
    """Further later-split rows with a near duplicate (quantised or MinHash)."""
    examples: tuple[str, ...] = ()
    """``test.csv:12 = train.csv:340 (exact)`` ..."""

    @property
    def leaked(self) -> int:
        """Exact plus near."""
        return self.exact + self.near


class _Index:
    """The later split, indexed: fingerprints, LSH buckets and MinHash signatures."""

    __slots__ = (
        "band_sorted", "bands", "exact", "labels", "near", "rows", "signatures", "texts",
    )  # fmt: skip

    def __init__(self) -> None:
        self.exact: dict[bytes, str] = {}
        self.near: dict[bytes, str] = {}
        self.bands: list[npt.NDArray[np.uint64]] = []
        """Band keys (rows x bands), one array per indexed batch."""
        self.band_sorted: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]] | None = None
        self.signatures: list[npt.NDArray[np.uint32]] = []
        """One array per indexed batch."""
        self.labels: list[str] = []
        self.texts: list[Texts] = []
        """The indexed row texts (one per indexed batch), for the exact comparison."""
        self.rows = 0

    def all_texts(self) -> Texts:
        """All indexed row texts as one ``Texts`` (joined once, after indexing)."""
        if len(self.texts) != 1:
            self.texts = [Texts.concat(self.texts)]
        return self.texts[0]

    def matrix(self) -> npt.NDArray[np.uint32]:
        """All stored signatures as one array (stacked once, after indexing)."""
        import numpy as np

        if len(self.signatures) != 1:
            self.signatures = [np.vstack(self.signatures)]
        stacked: npt.NDArray[np.uint32] = self.signatures[0]
        return stacked

    def band_index(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """Every (band key, slot) sorted by key (built once, after indexing)."""
        import numpy as np

        if self.band_sorted is None:
            keys = np.vstack(self.bands) if self.bands else np.zeros((0, 1), dtype=np.uint64)
            flat = keys.ravel()
            slots = np.repeat(np.arange(keys.shape[0], dtype=np.int64), keys.shape[1])
            order = np.argsort(flat, kind="stable")
            self.band_sorted = (flat[order], slots[order])
        return self.band_sorted


def shared_columns(
    earlier: Sequence[TableSource], later: Sequence[TableSource], exclude: frozenset[str]
) -> tuple[str, ...]:
    """Columns every file of both splits has, in the first later file's order."""
    headers = [read_header(s) for s in (*earlier, *later)]
    common = set(headers[0]).intersection(*headers[1:])
    return tuple(c for c in read_header(later[0]) if c in common and c not in exclude)


def _batches(
    sources: Sequence[TableSource], columns: Sequence[str], progress: Progress
) -> Iterator[list[tuple[str, Row]]]:
    for source in sources:
        header, batches = table_header_and_batches(source)
        index = [header.index(c) for c in columns]
        done = 0
        for batch in batches:
            yield [
                (f"{source.display}:{batch.start + offset + 1}", tuple(row[i] for i in index))
                for offset, row in enumerate(batch.rows)
            ]
            done += len(batch.rows)
            progress(source.display, done, None)


def _text_columns(sources: Sequence[TableSource], columns: Sequence[str]) -> tuple[str, ...]:
    header, batches = table_header_and_batches(sources[0])
    first = next(batches, None)
    if first is None:
        return ()
    out: list[str] = []
    for column in columns:
        values = [row[header.index(column)] for row in first.rows[:1000]]
        filled = [v for v in values if v.strip()]
        if not filled:
            continue
        textual = sum(number(v) is None for v in filled)
        mean = sum(len(v) for v in filled) / len(filled)
        if textual * 2 > len(filled) and mean >= TEXT_MIN_LENGTH:
            out.append(column)
    return tuple(out)


def find_overlap(
    earlier: Sequence[TableSource],
    later: Sequence[TableSource],
    params: OverlapParams,
    *,
    names: tuple[str, str] = ("earlier", "later"),
    progress: Progress = silent,
    vectorised: bool = True,
) -> Overlap:
    """Compare two splits; ``DataFileError`` when they share no column or a file is malformed.

    ``vectorised`` uses the pyarrow/NumPy fingerprints where every file allows it (the result
    is the same; ``False`` forces the row-wise reference path).
    """
    columns = shared_columns(earlier, later, params.exclude)
    if not columns:
        raise DataFileError(
            f"{later[0].display} and {earlier[0].display} share no column to compare"
        )
    every = range(len(columns))
    text = _text_columns(later, columns) if params.near else ()
    hasher: MinHasher | None = None
    if text:
        require_numpy()
        hasher = MinHasher.create(
            permutations=params.permutations, bands=params.bands, shingle=params.shingle
        )
    digits = params.near_digits
    from mlsvs.datacheck import columnar

    if vectorised and all(columnar.available(s) for s in (*earlier, *later)):
        return _find_columnar(earlier, later, params, names, progress, columns, text, hasher)
    index = _Index()
    for batch in _batches(later, columns, progress):
        index.rows += len(batch)
        kept = [(label, row) for label, row in batch if not is_blank(row, every)]
        for label, row in kept:
            index.exact.setdefault(row_fingerprint(row, every), label)
            if params.near:
                index.near.setdefault(near_fingerprint(row, every, digits), label)
        if hasher is not None and kept:
            texts = Texts.from_strings([_text(row, digits) for _, row in kept])
            signatures = hasher.signatures(texts)
            index.bands.append(hasher.band_array(signatures))
            index.labels.extend(label for label, _ in kept)
            index.signatures.append(signatures)
            index.texts.append(texts)
    exact: dict[str, str] = {}
    near: dict[str, str] = {}
    rows_earlier = 0
    for batch in _batches(earlier, columns, progress):
        rows_earlier += len(batch)
        pending: list[tuple[str, Row]] = []
        for label, row in batch:
            if is_blank(row, every):
                continue
            # A row with an exact or quantised partner still goes through every pass: the
            # same training row can leak as several edited rows of the later split.
            hit = index.exact.get(row_fingerprint(row, every))
            if hit is not None:
                exact.setdefault(hit, label)
            if not params.near:
                continue
            hit = index.near.get(near_fingerprint(row, every, digits))
            if hit is not None:
                near.setdefault(hit, label)
            if hasher is not None:
                pending.append((label, row))
        if hasher is not None and pending:
            _minhash(index, hasher, pending, params, near, digits)
    near = {k: v for k, v in near.items() if k not in exact}
    examples = [f"{k} = {v} (exact)" for k, v in sorted(exact.items(), key=_order)[:EXAMPLES]]
    examples += [f"{k} ~ {v} (near)" for k, v in sorted(near.items(), key=_order)[:EXAMPLES]]
    return Overlap(
        earlier=names[0],
        later=names[1],
        columns=columns,
        text_columns=text,
        rows_earlier=rows_earlier,
        rows_later=index.rows,
        exact=len(exact),
        near=len(near),
        examples=tuple(examples),
    )


def _find_columnar(
    earlier: Sequence[TableSource],
    later: Sequence[TableSource],
    params: OverlapParams,
    names: tuple[str, str],
    progress: Progress,
    columns: tuple[str, ...],
    text: tuple[str, ...],
    hasher: MinHasher | None,
) -> Overlap:
    """``find_overlap`` with vectorised fingerprints (``fastoverlap``); same result."""
    import numpy as np

    from mlsvs.datacheck.fastoverlap import index_later, join_cells, keyed_batches, lookup

    digits = params.near_digits
    later_index, kept = index_later(keyed_batches(later, columns, digits, progress))

    def later_label(row: int) -> str:
        source = later[int(later_index.sources[row])].display
        return f"{source}:{int(later_index.starts[row]) + 1}"

    index = _Index()
    index.rows = later_index.rows
    if hasher is not None:
        for batch in kept:
            positions = np.flatnonzero(~batch.blank)
            if not len(positions):
                continue
            texts = Texts.from_arrow(join_cells([c.take(positions) for c in batch.columns]))
            signatures, bands = hasher.sketch(texts)
            index.bands.append(bands)
            display = later[batch.source].display
            index.labels.extend(f"{display}:{batch.start + i + 1}" for i in positions.tolist())
            index.signatures.append(signatures)
            index.texts.append(texts)
    exact: dict[str, str] = {}
    near: dict[str, str] = {}
    rows_earlier = 0
    for batch in keyed_batches(earlier, columns, digits, progress):
        rows_earlier += len(batch.exact)
        display = earlier[batch.source].display
        filled = ~batch.blank
        hit = lookup(batch.exact, later_index.exact, later_index.exact_first)
        hit[~filled] = -1
        for position in np.flatnonzero(hit >= 0).tolist():
            exact.setdefault(
                later_label(int(hit[position])), f"{display}:{batch.start + position + 1}"
            )
        if not params.near:
            continue
        # Rows with an exact partner still take part in the near passes (see ``find_overlap``).
        close = lookup(batch.near, later_index.near, later_index.near_first)
        close[~filled] = -1
        for position in np.flatnonzero(close >= 0).tolist():
            near.setdefault(
                later_label(int(close[position])), f"{display}:{batch.start + position + 1}"
            )
        if hasher is not None:
            positions = np.flatnonzero(filled)
            if len(positions):
                texts = Texts.from_arrow(join_cells([c.take(positions) for c in batch.columns]))

                def label(
                    i: int, at: int = batch.start, name: str = display, rows: object = positions
                ) -> str:
                    return f"{name}:{at + int(rows[i]) + 1}"  # type: ignore[index]

                _minhash_texts(index, hasher, label, texts, params, near)
    near = {k: v for k, v in near.items() if k not in exact}
    examples = [f"{k} = {v} (exact)" for k, v in sorted(exact.items(), key=_order)[:EXAMPLES]]
    examples += [f"{k} ~ {v} (near)" for k, v in sorted(near.items(), key=_order)[:EXAMPLES]]
    return Overlap(
        earlier=names[0], later=names[1], columns=columns, text_columns=text,
        rows_earlier=rows_earlier, rows_later=later_index.rows, exact=len(exact),
        near=len(near), examples=tuple(examples),
    )  # fmt: skip


def _text(row: Row, digits: int) -> str:
    return " ".join(quantise(v, digits) for v in row)


def _minhash(
    index: _Index,
    hasher: MinHasher,
    pending: list[tuple[str, Row]],
    params: OverlapParams,
    near: dict[str, str],
    digits: int,
) -> None:
    """Confirm LSH candidates of ``pending`` earlier-split rows by estimated similarity.

    All (query, candidate) pairs of the batch are compared in one vectorised step.
    """
    texts = Texts.from_strings([_text(row, digits) for _, row in pending])
    labels = [label for label, _ in pending]
    _minhash_texts(index, hasher, labels.__getitem__, texts, params, near)


def _minhash_texts(
    index: _Index,
    hasher: MinHasher,
    label: Callable[[int], str],
    texts: Texts,
    params: OverlapParams,
    near: dict[str, str],
) -> None:
    """``_minhash`` on already quantised row texts (``label(i)`` names query text ``i``).

    LSH candidates whose estimated similarity is within ``ESTIMATE_MARGIN`` of the threshold
    are decided by their exact Jaccard similarity.
    """
    import numpy as np

    if not index.labels:
        return
    signatures, bands = hasher.sketch(texts)
    all_queries, all_slots = _candidates(index, bands)
    if not len(all_slots):
        return
    stored = index.matrix()
    floor = params.minhash_threshold - ESTIMATE_MARGIN
    for start in range(0, len(all_slots), _PAIRS):
        q = all_queries[start : start + _PAIRS]
        c = all_slots[start : start + _PAIRS]
        left, right = signatures[q], stored[c]
        keep = (left == right).mean(axis=1) >= floor
        keep &= ~(left == EMPTY).all(axis=1) & ~(right == EMPTY).all(axis=1)
        q, c = q[keep], c[keep]
        if not len(q):
            continue
        queries, qi = np.unique(q, return_inverse=True)
        slots, ci = np.unique(c, return_inverse=True)
        similar = exact_jaccard(
            hasher.shingle_sets(texts.take(queries)),
            hasher.shingle_sets(index.all_texts().take(slots)),
            qi,
            ci,
        )
        confirmed = similar >= params.minhash_threshold
        for query, slot in zip(q[confirmed].tolist(), c[confirmed].tolist(), strict=True):
            near.setdefault(index.labels[slot], label(query))


def _candidates(
    index: _Index, keys: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Distinct (query, indexed slot) pairs sharing at least one band key, by query then slot."""
    import numpy as np

    from mlsvs.datacheck.fastoverlap import members

    table, slots = index.band_index()
    flat = keys.ravel()
    hits, _ = members(flat, table)
    if not len(hits):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    found = flat[hits]
    left = np.searchsorted(table, found, side="left")
    right = np.searchsorted(table, found, side="right")
    counts = right - left
    queries = np.repeat(hits // keys.shape[1], counts)
    starts = np.repeat(left - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    matched = slots[np.arange(int(counts.sum())) + starts]
    width = max(len(index.labels), 1)
    pairs = np.unique(queries * width + matched)
    return pairs // width, pairs % width


def _order(item: tuple[str, str]) -> tuple[str, int]:
    """Sort ``file:row`` labels by file, then numerically by row."""
    name, _, row = item[0].rpartition(":")
    return name, int(row) if row.isdigit() else 0
