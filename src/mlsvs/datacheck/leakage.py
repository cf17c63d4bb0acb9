"""Entity and temporal leakage between two splits when a key / time column is declared.

Entity leakage: a later-split (validation/test) entity key that also occurs in the earlier
(train) split. Keys are compared after ``normalise``. Temporal leakage: an earlier-split row
whose timestamp is later than the earliest later-split timestamp. Timestamps are ISO 8601 dates
or datetimes (naive ones are taken as UTC; ``/`` separators accepted) or numbers (epoch
seconds); a value that is neither makes the comparison undecidable (``DataFileError``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.normalise import normalise, number
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.table import table_header_and_batches

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import TableSource

EXAMPLES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityLeak:
    """Later-split entities also present in the earlier split."""

    column: str
    entities_later: int
    leaked: int
    examples: tuple[str, ...] = ()
    """Row labels of later-split rows whose entity is leaked (never the key value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeLeak:
    """Earlier-split rows dated after the start of the later split."""

    column: str
    later_start: str
    earlier_end: str
    leaked_rows: int
    rows_earlier: int
    examples: tuple[str, ...] = ()


def _values(
    sources: Sequence[TableSource], column: str, progress: Progress
) -> Iterator[tuple[str, str]]:
    for source in sources:
        header, batches = table_header_and_batches(source)
        if column not in header:
            raise DataFileError(f"{source.display}: no column {column!r}")
        index = header.index(column)
        done = 0
        for batch in batches:
            for offset, row in enumerate(batch.rows):
                yield f"{source.display}:{batch.start + offset + 1}", row[index]
            done += len(batch.rows)
            progress(source.display, done, None)


def entity_leakage(
    earlier: Sequence[TableSource],
    later: Sequence[TableSource],
    column: str,
    *,
    progress: Progress = silent,
) -> EntityLeak:
    """Count later-split entities (distinct keys) that also occur in the earlier split."""
    from mlsvs.datacheck import columnar

    if all(columnar.available(s) for s in (*earlier, *later)):
        return _entity_columnar(earlier, later, column, progress)
    keys: dict[str, str] = {}
    for label, value in _values(later, column, progress):
        key = normalise(value)
        if key:
            keys.setdefault(key, label)
    leaked: dict[str, str] = {}
    for _, value in _values(earlier, column, progress):
        key = normalise(value)
        if key in keys:
            leaked.setdefault(key, keys[key])
    examples = tuple(sorted(leaked.values())[:EXAMPLES])
    return EntityLeak(
        column=column, entities_later=len(keys), leaked=len(leaked), examples=examples
    )


def _entity_columnar(
    earlier: Sequence[TableSource], later: Sequence[TableSource], column: str, progress: Progress
) -> EntityLeak:
    """``entity_leakage`` with C++ membership tests on normalised keys; the same result."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from mlsvs.datacheck.columnar import column_batches
    from mlsvs.datacheck.fastoverlap import normalised_cells
    from mlsvs.datacheck.normalise import NUMBER_DIGITS

    def keys(sources: Sequence[TableSource]) -> Iterator[tuple[int, int, pa.Array]]:
        for number_, source in enumerate(sources):
            header, batches = column_batches(source)
            if column not in header:
                raise DataFileError(f"{source.display}: no column {column!r}")
            index, done = header.index(column), 0
            for batch in batches:
                cells = normalised_cells(batch.columns[index], NUMBER_DIGITS)
                yield number_, batch.start, pa.array(cells, pa.string())
                done += batch.rows
                progress(source.display, done, None)

    later_keys: list[pa.Array] = []
    labels: list[str] = []
    for number_, start, array in keys(later):
        later_keys.append(array)
        labels.extend(f"{later[number_].display}:{start + i + 1}" for i in range(len(array)))
    every = pa.chunked_array(later_keys, pa.string()).combine_chunks()
    distinct = pc.unique(pc.filter(every, pc.not_equal(every, "")))
    leaked: set[str] = set()
    for _, _, array in keys(earlier):
        hits = pc.filter(array, pc.is_in(array, value_set=distinct))
        leaked.update(pc.unique(hits).to_pylist())
    firsts = pc.index_in(pa.array(sorted(leaked), pa.string()), value_set=every).to_pylist()
    examples = sorted(labels[i] for i in firsts)
    return EntityLeak(
        column=column, entities_later=len(distinct), leaked=len(leaked),
        examples=tuple(examples[:EXAMPLES]),
    )  # fmt: skip


def parse_time(text: str) -> float | None:
    """Seconds since the epoch for an ISO date/datetime or a number; None when unparseable."""
    stripped = text.strip()
    value = number(stripped)
    if value is not None:
        return value
    candidate = stripped.replace("/", "-")
    try:
        parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        try:
            day = dt.date.fromisoformat(candidate)
        except ValueError:
            return None
        parsed = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _times(
    sources: Sequence[TableSource], column: str, progress: Progress
) -> Iterator[tuple[str, float, str]]:
    for label, value in _values(sources, column, progress):
        if not value.strip():
            continue
        parsed = parse_time(value)
        if parsed is None:
            raise DataFileError(f"{label}: {column} value is not a date/time or number")
        yield label, parsed, value.strip()


def time_leakage(
    earlier: Sequence[TableSource],
    later: Sequence[TableSource],
    column: str,
    *,
    progress: Progress = silent,
) -> TimeLeak:
    """Count earlier-split rows timestamped after the earliest later-split timestamp."""
    start: tuple[float, str] | None = None
    for _, value, raw in _times(later, column, progress):
        if start is None or value < start[0]:
            start = (value, raw)
    if start is None:
        raise DataFileError(f"{later[0].display}: {column} has no values")
    leaked = rows = 0
    end: tuple[float, str] | None = None
    examples: list[str] = []
    for label, value, raw in _times(earlier, column, progress):
        rows += 1
        if end is None or value > end[0]:
            end = (value, raw)
        if value > start[0]:
            leaked += 1
            if len(examples) < EXAMPLES:
                examples.append(label)
    return TimeLeak(
        column=column,
        later_start=start[1],
        earlier_end=end[1] if end is not None else "",
        leaked_rows=leaked,
        rows_earlier=rows,
        examples=tuple(examples),
    )
