from __future__ import annotations

import pytest

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.table import iter_batches, read_header, source_for, table_header_and_batches


def _rows(path, name):
    return [
        row for batch in iter_batches(source_for(path, name), batch_rows=2) for row in batch.rows
    ]


def test_csv_tsv_jsonl_batches(tmp_path) -> None:
    (tmp_path / "a.csv").write_text('\ufeffx,y\n1,"a,b"\n\n2,c\n3,d\n')
    assert read_header(source_for(tmp_path / "a.csv", "a.csv")) == ("x", "y")
    assert _rows(tmp_path / "a.csv", "a.csv") == [("1", "a,b"), ("2", "c"), ("3", "d")]
    (tmp_path / "a.tsv").write_text("x\ty\n1\t2\n")
    assert _rows(tmp_path / "a.tsv", "a.tsv") == [("1", "2")]
    (tmp_path / "a.jsonl").write_text('{"x": 1, "y": null}\n\n{"x": 2.5, "z": [1]}\n')
    header, batches = table_header_and_batches(source_for(tmp_path / "a.jsonl", "a.jsonl"))
    assert header == ("x", "y", "z", "$extra")
    assert [r for b in batches for r in b.rows] == [("1", "", "", ""), ("2.5", "", "[1]", "")]


def test_header_only_csv(tmp_path) -> None:
    (tmp_path / "e.csv").write_text("x,y\n")
    assert read_header(source_for(tmp_path / "e.csv", "e.csv")) == ("x", "y")
    assert _rows(tmp_path / "e.csv", "e.csv") == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", b"a,b\n1,2\n\xff,3\n", r"bad.csv: not valid UTF-8 \(byte 0xff\)"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", r"ragged.csv:3: ragged row: 3 fields, header has 2"),
        ("quote.csv", b'a,b\n"1,2\n', r"quote.csv:\d+: malformed CSV"),
        ("empty.csv", b"", r"empty.csv: empty file"),
        ("bad.jsonl", b'{"a": 1}\n[1, 2]\n', r"bad.jsonl:2: a JSONL record must be an object"),
        ("bad2.jsonl", b'{"a": 1}\n{oops\n', r"bad2.jsonl:2: invalid JSON"),
        ("corrupt.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1", r"corrupt.parquet: corrupt parquet"),
        ("corrupt.arrow", b"ARROW1\x00\x00garbage", r"corrupt.arrow: corrupt arrow"),
    ],
)
def test_malformed_files_raise_clear_errors(
    tmp_path, name: str, content: bytes, message: str
) -> None:
    if name.endswith((".parquet", ".arrow")):
        pytest.importorskip("pyarrow")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message):
        _rows(path, name)


def test_parquet_and_arrow_stream_by_batch(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import datetime as dt

    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    table = pa.table({"n": [1, 2, None], "f": [0.5, 1.0, 2.0], "d": [dt.date(2024, 1, 2)] * 3})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    feather.write_feather(table, tmp_path / "t.arrow")
    expected = [("1", "0.5", "2024-01-02"), ("2", "1.0", "2024-01-02"), ("", "2.0", "2024-01-02")]
    assert _rows(tmp_path / "t.parquet", "t.parquet") == expected
    assert _rows(tmp_path / "t.arrow", "t.arrow") == expected


def test_not_tabular(tmp_path) -> None:
    with pytest.raises(DataFileError, match="not a tabular dataset format"):
        source_for(tmp_path / "x.npy", "x.npy")
