"""Columnar reading with pyarrow: every column as UTF-8 strings, one record batch at a time.

The vectorised passes (PII candidates, row fingerprints) read tables here; the row-wise reader
in ``table`` stays the reference and the fallback when pyarrow is absent or the format is JSONL.
CSV/TSV use pyarrow's multi-threaded parser with every column typed as a string, nothing read as
null and quoted newlines allowed, so each cell is the same text the stdlib reader returns
(blank lines skipped, a UTF-8 BOM dropped); a ragged row or invalid UTF-8 is a ``DataFileError``.
Parquet/Arrow columns are cast to strings (non-string types through ``table.cell_text`` per
distinct value, so ``1.0``/``true``/dates print as they do row-wise).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.table import read_header

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pyarrow as pa

    from mlsvs.datacheck.table import TableSource

BLOCK_BYTES = 16 << 20
COLUMNAR_FORMATS = frozenset({"csv", "tsv", "parquet", "arrow"})


def available(source: TableSource) -> bool:
    """Whether ``source`` can be read column-wise here (pyarrow installed, supported format)."""
    return source.format in COLUMNAR_FORMATS and importlib.util.find_spec("pyarrow") is not None


@dataclass(frozen=True, slots=True)
class ColumnBatch:
    """Consecutive rows as string arrays, one per column of ``header``."""

    start: int
    """0-based index of the first row."""
    columns: tuple[Any, ...]
    """String arrays (``pyarrow.Array``), one per column."""

    @property
    def rows(self) -> int:
        """Rows in the batch."""
        return len(self.columns[0]) if self.columns else 0


def column_batches(source: TableSource) -> tuple[tuple[str, ...], Iterator[ColumnBatch]]:
    """The header and an iterator of string-typed column batches."""
    header = read_header(source)
    if source.format in {"csv", "tsv"}:
        return header, _csv(source, header)
    return header, _arrow(source)


def _csv(source: TableSource, header: tuple[str, ...]) -> Iterator[ColumnBatch]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {name: pa.string() for name in header}
    try:
        reader = pacsv.open_csv(
            source.path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, encoding="utf8"),
            parse_options=pacsv.ParseOptions(
                delimiter="\t" if source.format == "tsv" else ",", newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, null_values=[],
                quoted_strings_can_be_null=False, check_utf8=True,
            ),
        )  # fmt: skip
    except (pa.ArrowInvalid, OSError) as exc:
        raise _error(source, exc) from None
    start = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, OSError) as exc:
            raise _error(source, exc) from None
        if batch.num_rows:
            yield ColumnBatch(start, tuple(batch.columns))
            start += batch.num_rows


def _error(source: TableSource, exc: Exception) -> DataFileError:
    """The row-wise reader's message (with the line number) when it finds the fault too."""
    from mlsvs.datacheck.table import iter_batches

    try:
        for _ in iter_batches(source):
            pass
    except DataFileError as precise:
        return precise
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "utf" in text.lower():
        return DataFileError(f"{source.display}: not valid UTF-8 ({text})")
    return DataFileError(f"{source.display}: malformed CSV: {text}")


def parquet_batches(
    source: TableSource, row_groups: Sequence[int], start: int
) -> Iterator[ColumnBatch]:
    """String batches of the Parquet row groups ``row_groups``, numbered from row ``start``."""
    if not row_groups:
        return iter(())
    return _arrow(source, row_groups=row_groups, start=start)


def _arrow(
    source: TableSource, *, row_groups: Sequence[int] | None = None, start: int = 0
) -> Iterator[ColumnBatch]:
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    errors = (pa.ArrowException, OSError, ValueError)
    try:
        if source.format == "parquet":
            groups = None if row_groups is None else list(row_groups)
            batches: Iterator[pa.RecordBatch] = pq.ParquetFile(source.path).iter_batches(
                batch_size=65_536, row_groups=groups
            )
        else:
            try:
                arrow = ipc.open_file(source.path)
                batches = (arrow.get_batch(i) for i in range(arrow.num_record_batches))
            except pa.ArrowInvalid:
                batches = iter(ipc.open_stream(source.path))
    except errors as exc:
        raise DataFileError(f"{source.display}: corrupt {source.format} file: {exc}") from None
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except errors as exc:
            raise DataFileError(f"{source.display}: corrupt {source.format} file: {exc}") from None
        if batch.num_rows:
            yield ColumnBatch(start, tuple(as_strings(c) for c in batch.columns))
            start += batch.num_rows


def as_strings(array: pa.Array) -> pa.Array:
    """The column as strings with the row-wise reader's text for every value ("" for null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from mlsvs.datacheck.table import cell_text

    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return pc.fill_null(array.cast(pa.string()), "")
    if len(array) == array.null_count:
        return pa.array([""] * len(array), pa.string())
    encoded = pc.dictionary_encode(array)
    texts = pa.array([cell_text(v) for v in encoded.dictionary.to_pylist()], pa.string())
    indices = encoded.indices
    out = pc.take(texts, pc.fill_null(indices, 0))
    if array.null_count:
        out = pc.if_else(pc.is_null(indices), "", out)
    result: pa.Array = out
    return result
