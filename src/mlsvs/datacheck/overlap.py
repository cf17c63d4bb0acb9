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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.minhash import MinHasher, similarity
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
    from collections.abc import Iterator, Sequence

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import Row, TableSource

EXAMPLES = 5
TEXT_MIN_LENGTH = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapParams:
    """How rows are compared."""

    near: bool = True
    near_digits: int = 3
    minhash_threshold: float = 0.8
    permutations: int = 64
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


@dataclass(slots=True)
class _Index:
    exact: dict[bytes, str] = field(default_factory=dict)
    near: dict[bytes, str] = field(default_factory=dict)
    bands: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    signatures: list[tuple[int, ...]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    rows: int = 0


def shared_columns(
    earlier: Sequence[TableSource], later: Sequence[TableSource], exclude: frozenset[str]
) -> tuple[str, ...]:
    """Columns every file of both splits has, in the first later file's order."""
    headers = [read_header(s) for s in (*earlier, *later)]
    common = set(headers[0]).intersection(*headers[1:])
    return tuple(c for c in read_header(later[0]) if c in common and c not in exclude)


def _rows(
    sources: Sequence[TableSource], columns: Sequence[str], progress: Progress
) -> Iterator[tuple[str, Row]]:
    for source in sources:
        header, batches = table_header_and_batches(source)
        index = [header.index(c) for c in columns]
        done = 0
        for batch in batches:
            for offset, row in enumerate(batch.rows):
                yield f"{source.display}:{batch.start + offset + 1}", tuple(row[i] for i in index)
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
) -> Overlap:
    """Compare two splits; ``DataFileError`` when they share no column or a file is malformed."""
    columns = shared_columns(earlier, later, params.exclude)
    if not columns:
        raise DataFileError(
            f"{later[0].display} and {earlier[0].display} share no column to compare"
        )
    every = range(len(columns))
    text = _text_columns(later, columns) if params.near else ()
    hasher = (
        MinHasher.create(
            permutations=params.permutations, bands=params.bands, shingle=params.shingle
        )
        if text
        else None
    )
    index = _Index()
    for label, row in _rows(later, columns, progress):
        index.rows += 1
        if is_blank(row, every):
            continue
        index.exact.setdefault(row_fingerprint(row, every), label)
        if params.near:
            index.near.setdefault(near_fingerprint(row, every, params.near_digits), label)
        if hasher is not None:
            signature = hasher.signature(" ".join(quantise(v, params.near_digits) for v in row))
            slot = len(index.signatures)
            index.signatures.append(signature)
            index.labels.append(label)
            for key in hasher.band_keys(signature):
                index.bands.setdefault(key, []).append(slot)
    exact: dict[str, str] = {}
    near: dict[str, str] = {}
    rows_earlier = 0
    for label, row in _rows(earlier, columns, progress):
        rows_earlier += 1
        if is_blank(row, every):
            continue
        hit = index.exact.get(row_fingerprint(row, every))
        if hit is not None:
            exact.setdefault(hit, label)
            continue
        if not params.near:
            continue
        hit = index.near.get(near_fingerprint(row, every, params.near_digits))
        if hit is not None and hit not in exact:
            near.setdefault(hit, label)
            continue
        if hasher is not None:
            signature = hasher.signature(" ".join(quantise(v, params.near_digits) for v in row))
            for slot in _candidates(index, hasher, signature):
                target = index.labels[slot]
                if target in exact or target in near:
                    continue
                if similarity(signature, index.signatures[slot]) >= params.minhash_threshold:
                    near.setdefault(target, label)
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


def _candidates(index: _Index, hasher: MinHasher, signature: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for key in hasher.band_keys(signature):
        found.update(index.bands.get(key, ()))
    return found


def _order(item: tuple[str, str]) -> tuple[str, int]:
    """Sort ``file:row`` labels by file, then numerically by row."""
    name, _, row = item[0].rpartition(":")
    return name, int(row) if row.isdigit() else 0
