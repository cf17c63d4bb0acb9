from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from mlsvs.datacheck.errors import ManifestFormatError
from mlsvs.datacheck.manifest import build_manifest, dump_manifest, load_manifest
from mlsvs.datacheck.verify import FileState, verify_evidence

from .helpers import FEATURES, numeric_rows, write_csv

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _dataset(root):
    write_csv(root / "data" / "train.csv", [*FEATURES, "y"], numeric_rows(1, 2500))
    write_csv(root / "data" / "test.csv", [*FEATURES, "y"], numeric_rows(2, 50))
    (root / "data" / "notes.txt").write_text("collected 2026\n")


def _write(root, records=False):
    manifest = build_manifest(root, ["data"], records=records, now=NOW)
    path = root / "mlsvs-data-manifest.json"
    path.write_text(dump_manifest(manifest))
    return path


def _states(result):
    return {f.path: f.state for f in result.files}


def test_manifest_round_trip_and_clean_verify(tmp_path) -> None:
    _dataset(tmp_path)
    path = _write(tmp_path, records=True)
    doc = json.loads(path.read_text())
    assert doc["format"] == "mlsvs-data-manifest" and doc["created"] == "2026-11-25T12:00:00Z"
    train = doc["files"]["data/train.csv"]
    assert train["rows"] == 2500 and len(train["records"]["hashes"]) == 2500
    assert len(train["records"]["chunks"]) == 3
    assert "records" not in doc["files"]["data/notes.txt"]
    loaded = load_manifest(path, "m")
    assert [e.path for e in loaded.files] == ["data/notes.txt", "data/test.csv", "data/train.csv"]
    result = verify_evidence(path, tmp_path)
    assert result.ok and set(_states(result).values()) == {FileState.MATCH}


def test_tampering_is_detected(tmp_path) -> None:
    _dataset(tmp_path)
    path = _write(tmp_path)
    with (tmp_path / "data" / "test.csv").open("a") as handle:
        handle.write("1,2,3,4,1\n")
    (tmp_path / "data" / "notes.txt").unlink()
    (tmp_path / "data" / "extra.csv").write_text("a\n1\n")
    result = verify_evidence(path, tmp_path)
    assert not result.ok
    assert _states(result) == {
        "data/extra.csv": FileState.ADDED,
        "data/notes.txt": FileState.REMOVED,
        "data/test.csv": FileState.CHANGED,
        "data/train.csv": FileState.MATCH,
    }


def test_tampered_records_are_located(tmp_path) -> None:
    _dataset(tmp_path)
    path = _write(tmp_path, records=True)
    train = tmp_path / "data" / "train.csv"
    lines = train.read_text().splitlines()
    lines[1500] = (
        lines[1500].replace(",0", ",1") if lines[1500].endswith(",0") else lines[1500][:-1] + "0"
    )
    train.write_text("\n".join(lines) + "\n")
    [changed] = [f for f in verify_evidence(path, tmp_path).files if f.state is FileState.CHANGED]
    assert changed.records is not None
    assert (changed.records.changed, changed.records.changed_rows) == (1, (1500,))
    # Drop one row and append another: set-based diff names both.
    lines = train.read_text().splitlines()
    del lines[10]
    lines.append("99,1.0,0.5,3,1")
    train.write_text("\n".join(lines) + "\n")
    [changed] = [f for f in verify_evidence(path, tmp_path).files if f.state is FileState.CHANGED]
    diff = changed.records
    assert diff is not None and diff.removed >= 1 and diff.added >= 1
    assert 10 in diff.removed_rows and 2500 in diff.added_rows
    assert "removed" in changed.detail


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable manifest"),
        ('{"format": "other"}', "not an mlsvs-data-manifest"),
        (
            '{"format": "mlsvs-data-manifest", "version": 1, "algorithm": "sha256", '
            '"files": {"a": {"sha256": "x", "size": 1}}}',
            "needs 'sha256'",
        ),
    ],
)
def test_malformed_manifest(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "mlsvs-data-manifest.json"
    path.write_text(content)
    with pytest.raises(ManifestFormatError, match=message):
        verify_evidence(path, tmp_path)


def test_path_traversal_entry_is_unsafe(tmp_path) -> None:
    doc = {
        "format": "mlsvs-data-manifest", "version": 1, "algorithm": "sha256", "roots": [],
        "files": {"../../etc/passwd": {"sha256": "0" * 64, "size": 1}},
    }  # fmt: skip
    path = tmp_path / "datasets.manifest.json"
    path.write_text(json.dumps(doc))
    result = verify_evidence(path, tmp_path)
    assert [f.state for f in result.files] == [FileState.UNSAFE] and not result.ok


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_dvc_file_and_lock(tmp_path) -> None:
    data = b"a,b\r\n1,2\r\n"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_bytes(data)
    unix = _md5(data.replace(b"\r\n", b"\n"))
    (tmp_path / "data" / "train.csv.dvc").write_text(
        f"outs:\n- md5: {unix}\n  size: 10\n  path: train.csv\n"
    )
    result = verify_evidence(tmp_path / "data" / "train.csv.dvc", tmp_path)
    assert result.ok and _states(result) == {"data/train.csv": FileState.MATCH}
    (tmp_path / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  prep:\n    cmd: python prep.py\n    deps:\n"
        f"    - path: data/train.csv\n      md5: {'a0' * 16}\n    outs:\n"
        f"    - path: data/clean.csv\n      md5: {'b1' * 16}\n"
    )
    result = verify_evidence(tmp_path / "dvc.lock", tmp_path)
    assert _states(result) == {
        "data/clean.csv": FileState.NOT_IN_WORKSPACE,
        "data/train.csv": FileState.CHANGED,
    }
    (tmp_path / "bad.dvc").write_text("outs: [\n")
    with pytest.raises(ManifestFormatError, match="invalid YAML"):
        verify_evidence(tmp_path / "bad.dvc", tmp_path)


def test_dvc_directory_output_uses_cache_listing(tmp_path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.txt").write_bytes(b"A")
    (images / "b.txt").write_bytes(b"B")
    listing = [{"md5": _md5(b"A"), "relpath": "a.txt"}, {"md5": _md5(b"X"), "relpath": "b.txt"}]
    cache = tmp_path / ".dvc" / "cache" / "files" / "md5" / "ab"
    cache.mkdir(parents=True)
    (cache / "cdef.dir").write_text(json.dumps(listing))
    (tmp_path / "images.dvc").write_text("outs:\n- md5: abcdef.dir\n  path: images\n")
    (images / "c.txt").write_bytes(b"C")
    result = verify_evidence(tmp_path / "images.dvc", tmp_path)
    assert _states(result) == {
        "images/a.txt": FileState.MATCH,
        "images/b.txt": FileState.CHANGED,
        "images/c.txt": FileState.ADDED,
    }
    (tmp_path / "other.dvc").write_text("outs:\n- md5: 0123456789.dir\n  path: images\n")
    result = verify_evidence(tmp_path / "other.dvc", tmp_path)
    assert [f.state for f in result.files] == [FileState.UNVERIFIABLE]


def test_sha256sums(tmp_path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    digest = hashlib.sha256(b"x\n1\n").hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  a.csv\n{'0' * 64}  gone.csv\n")
    result = verify_evidence(tmp_path / "SHA256SUMS", tmp_path)
    assert _states(result) == {"a.csv": FileState.MATCH, "gone.csv": FileState.REMOVED}
    (tmp_path / "SHA256SUMS").write_text("garbage line\n")
    with pytest.raises(ManifestFormatError, match="not a checksum line"):
        verify_evidence(tmp_path / "SHA256SUMS", tmp_path)


def test_record_diff_counts_duplicates() -> None:
    from mlsvs.datacheck.records import RecordHashes, diff_records

    def hashes(records: list[str]) -> RecordHashes:
        chunk = "".join(records)
        return RecordHashes(header="h", rows=len(records), chunk_rows=1024, chunks=(chunk,),
                            root="r", records=tuple(records))  # fmt: skip

    diff = diff_records(hashes(["a", "a", "b"]), hashes(["a", "b"]))
    assert (diff.removed, diff.removed_rows, diff.added) == (1, (2,), 0)
    diff = diff_records(hashes(["a", "b", "c"]), hashes(["c", "b", "a"]))
    assert diff.reordered and not (diff.changed or diff.added or diff.removed)
    assert "different order" in diff.describe()
