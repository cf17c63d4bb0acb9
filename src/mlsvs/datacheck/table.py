"""Streaming access to tabular dataset files with bounded memory.

CSV, TSV and JSONL are read with the stdlib (``csv`` / ``json``) one batch of rows at a time;
Parquet and Arrow IPC files are read one record batch at a time with pyarrow, imported lazily
(absent: a ``DataFileError`` asking for ``mlsvs[data]``). Every cell is handed out as text (see
``cell_text``) so all checks see one representation whatever the format.

Malformed input raises ``DataFileError`` naming the file (and line where known): bad UTF-8,
a row whose field count differs from the header, a JSONL line that is not a JSON object, a
corrupt Parquet footer.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Iterator

TABULAR_FORMATS = frozenset({"csv", "tsv", "jsonl", "parquet", "arrow"})
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".npy": "npy",
    ".npz": "npz",
}
BATCH_ROWS = 8192
_JSONL_HEADER_SCAN = 1000
EXTRA_COLUMN = "$extra"
"""JSONL keys first seen after the header scan are kept, as JSON text, in this column."""

Row = tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSource:
    """One tabular file: where it is, how to show it and how to parse it."""

    path: Path
    display: str
    """Path shown in messages (relative to the project root)."""
    format: str
    """``csv``, ``tsv``, ``jsonl``, ``parquet`` or ``arrow``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """Consecutive rows of a table."""

    start: int
    """0-based index of the first row (data rows, the header excluded)."""
    rows: tuple[Row, ...]


def format_of(path: str | Path) -> str | None:
    """The dataset format implied by a file name, or None."""
    return SUFFIX_FORMATS.get(PurePosixPath(str(path)).suffix.lower())


def source_for(path: Path, display: str, fmt: str | None = None) -> TableSource:
    """A ``TableSource`` for ``path``; ``DataFileError`` when the format is not tabular."""
    fmt = fmt or format_of(path)
    if fmt not in TABULAR_FORMATS:
        raise DataFileError(f"{display}: not a tabular dataset format ({fmt or 'unknown'})")
    return TableSource(path=path, display=display, format=fmt)


def cell_text(value: object) -> str:
    """One canonical text form per cell value (None is the empty string)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value) if isinstance(value, int) else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def read_header(source: TableSource) -> tuple[str, ...]:
    """Column names of the table."""
    for header, _ in _stream(source, batch_rows=1):
        return header
    raise DataFileError(f"{source.display}: empty file")  # pragma: no cover - _stream raises


def iter_batches(source: TableSource, *, batch_rows: int = BATCH_ROWS) -> Iterator[Batch]:
    """Every data row of the table, ``batch_rows`` at a time."""
    for _, batch in _stream(source, batch_rows=batch_rows):
        if batch is not None:
            yield batch


def table_header_and_batches(
    source: TableSource, *, batch_rows: int = BATCH_ROWS
) -> tuple[tuple[str, ...], Iterator[Batch]]:
    """The header and a batch iterator over one pass of the file."""
    stream = _stream(source, batch_rows=batch_rows)
    header, first = next(stream)

    def batches() -> Iterator[Batch]:
        if first is not None:
            yield first
        for _, batch in stream:
            if batch is not None:
                yield batch

    return header, batches()


def _stream(
    source: TableSource, *, batch_rows: int
) -> Iterator[tuple[tuple[str, ...], Batch | None]]:
    match source.format:
        case "csv" | "tsv":
            return _csv(source, batch_rows, "\t" if source.format == "tsv" else ",")
        case "jsonl":
            return _jsonl(source, batch_rows)
        case "parquet" | "arrow":
            from mlsvs.datacheck.arrowio import arrow_stream

            return arrow_stream(source, batch_rows)
        case _:
            raise DataFileError(f"{source.display}: unsupported format {source.format}")


def _csv(
    source: TableSource, batch_rows: int, delimiter: str
) -> Iterator[tuple[tuple[str, ...], Batch | None]]:
    try:
        handle = source.path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataFileError(f"{source.display}: cannot open: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = tuple(next(reader))
        except StopIteration:
            raise DataFileError(f"{source.display}: empty file (no header row)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _csv_error(source, reader.line_num or 1, exc) from None
        width = len(header)
        rows: list[Row] = []
        start = 0
        yielded_header = False
        try:
            for row in reader:
                if len(row) != width:
                    if not row:
                        continue  # a blank line
                    raise DataFileError(
                        f"{source.display}:{reader.line_num}: ragged row: {len(row)} fields, "
                        f"header has {width}"
                    )
                rows.append(tuple(row))
                if len(rows) >= batch_rows:
                    yield header, Batch(start=start, rows=tuple(rows))
                    yielded_header = True
                    start += len(rows)
                    rows = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _csv_error(source, reader.line_num, exc) from None
        if rows or not yielded_header:
            yield header, (Batch(start=start, rows=tuple(rows)) if rows else None)


def _csv_error(source: TableSource, line: int, exc: Exception) -> DataFileError:
    if isinstance(exc, UnicodeDecodeError):
        return DataFileError(
            f"{source.display}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}) "
            f"near line {max(line, 1)}"
        )
    return DataFileError(f"{source.display}:{line}: malformed CSV: {exc}")


def _jsonl(source: TableSource, batch_rows: int) -> Iterator[tuple[tuple[str, ...], Batch | None]]:
    try:
        handle = source.path.open("rb")
    except OSError as exc:
        raise DataFileError(f"{source.display}: cannot open: {exc.strerror}") from None
    with handle:
        records = _json_records(source, handle)
        head: list[dict[str, object]] = []
        for record in records:
            head.append(record)
            if len(head) >= _JSONL_HEADER_SCAN:
                break
        if not head:
            raise DataFileError(f"{source.display}: empty file (no JSON records)")
        names: dict[str, None] = {}
        for record in head:
            names.update(dict.fromkeys(record))
        header = (*names, EXTRA_COLUMN)
        known = frozenset(names)

        def to_row(record: dict[str, object]) -> Row:
            extra = {k: v for k, v in record.items() if k not in known}
            values = [cell_text(record.get(name)) for name in names]
            return (*values, cell_text(extra) if extra else "")

        rows: list[Row] = [to_row(r) for r in head]
        start = 0
        yielded = False
        for record in records:
            rows.append(to_row(record))
            if len(rows) >= batch_rows:
                yield header, Batch(start=start, rows=tuple(rows))
                yielded = True
                start += len(rows)
                rows = []
        if rows or not yielded:
            yield header, (Batch(start=start, rows=tuple(rows)) if rows else None)


def _json_records(source: TableSource, handle: object) -> Iterator[dict[str, object]]:
    from typing import BinaryIO, cast

    for number, raw in enumerate(cast("BinaryIO", handle), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"{source.display}:{number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x})"
            ) from None
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{source.display}:{number}: invalid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise DataFileError(f"{source.display}:{number}: a JSONL record must be an object")
        yield value
