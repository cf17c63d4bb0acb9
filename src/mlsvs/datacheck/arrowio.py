"""Parquet and Arrow IPC reading, one record batch at a time (pyarrow, imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.table import Batch, cell_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.datacheck.table import Row, TableSource

INSTALL_HINT = "pyarrow is not installed: pip install 'mlsvs[data]'"


def _pyarrow_error() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (pa.ArrowException, OSError, ValueError)


def arrow_stream(
    source: TableSource, batch_rows: int
) -> Iterator[tuple[tuple[str, ...], Batch | None]]:
    """Header and batches of a Parquet file (row group by row group) or an Arrow IPC file."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataFileError(f"{source.display}: {INSTALL_HINT}") from None
    errors = _pyarrow_error()
    try:
        batches = _open(source, batch_rows)
        header, first = next(batches)
    except errors as exc:
        raise DataFileError(f"{source.display}: corrupt {source.format} file: {exc}") from None
    yield header, first
    while True:
        try:
            item = next(batches)
        except StopIteration:
            return
        except errors as exc:
            raise DataFileError(f"{source.display}: corrupt {source.format} file: {exc}") from None
        yield item


def _open(source: TableSource, batch_rows: int) -> Iterator[tuple[tuple[str, ...], Batch | None]]:
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    if source.format == "parquet":
        parquet = pq.ParquetFile(source.path)
        header = tuple(parquet.schema_arrow.names)
        record_batches = parquet.iter_batches(batch_size=batch_rows)
    else:
        try:
            arrow = ipc.open_file(source.path)
            header = tuple(arrow.schema.names)
            record_batches = (arrow.get_batch(i) for i in range(arrow.num_record_batches))
        except pa.ArrowInvalid:  # not the IPC file format: try the IPC stream format
            stream = ipc.open_stream(source.path)
            header = tuple(stream.schema.names)
            record_batches = iter(stream)
    start = 0
    yielded = False
    for record_batch in record_batches:
        if record_batch.num_rows == 0:
            continue
        columns = [col.to_pylist() for col in record_batch.columns]
        rows: tuple[Row, ...] = tuple(
            tuple(cell_text(value) for value in values) for values in zip(*columns, strict=True)
        )
        for offset in range(0, len(rows), batch_rows):
            chunk = rows[offset : offset + batch_rows]
            yield header, Batch(start=start, rows=chunk)
            yielded = True
            start += len(chunk)
    if not yielded:
        yield header, None
