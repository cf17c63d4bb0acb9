"""Containers are read the way their real loaders read them (see scan_containers.py)."""

from __future__ import annotations

import os
import threading
import zipfile
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import scan_path, scan_paths
from mlsvs.scanner.zipread import read_directory
from tests.scanner.scan_containers import CONTAINER_CASES, ContainerCase, Entry, simple_zip
from tests.scanner.scan_pk import benign_dict, system_call

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("case", CONTAINER_CASES, ids=[c.name for c in CONTAINER_CASES])
def test_container_technique_is_caught(case: ContainerCase, tmp_path: Path) -> None:
    path = case.build(tmp_path)
    report = scan_path(path)
    rules = {f.rule.value for f in report.findings}
    assert case.rules <= rules, (rules, [f.message for f in report.findings])
    assert report.hazards


def test_protocol0_text_pickle_is_scanned_in_a_directory_walk(tmp_path: Path) -> None:
    [case] = [c for c in CONTAINER_CASES if c.name == "protocol0-broken-after-call"]
    case.build(tmp_path)
    [report] = scan_paths([tmp_path])
    assert "PKL001" in {f.rule.value for f in report.findings}


def test_torch_zip_made_by_torch_reads_the_records_torch_reads(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from mlsvs.scanner.formats_zip import torch_records

    path = tmp_path / "m.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with path.open("rb") as fh:
        directory = read_directory(fh, path.stat().st_size)
    names = {directory.members[i].name for i in torch_records(directory)}
    assert names == {"m/data.pkl"}


def test_miniz_and_zipfile_views_agree_on_ordinary_zips(tmp_path: Path) -> None:
    path = tmp_path / "plain.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", benign_dict())
        z.writestr("archive/version", "3\n")
    with path.open("rb") as fh:
        rel = read_directory(fh, path.stat().st_size)
        ab = read_directory(fh, path.stat().st_size, absolute=True)
    assert [m.name for m in rel.members] == [m.name for m in ab.members]
    assert scan_path(path).findings == ()


def test_case_variant_duplicates_are_reported(tmp_path: Path) -> None:
    data = simple_zip(
        [
            Entry(b"archive/version", b"3\n"),
            Entry(b"archive/data.pkl", benign_dict()),
            Entry(b"archive/Data.pkl", system_call()),
        ]
    )
    path = tmp_path / "dup.pt"
    path.write_bytes(data)
    rules = {f.rule.value for f in scan_path(path).findings}
    assert {"ZIP004", "PKL001"} <= rules


def test_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "model.pkl"
    os.mkfifo(fifo)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(scan_path(fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "scan_path blocked on a FIFO"
    [report] = result
    assert report.errors and report.findings[0].rule.value == "GEN003"  # type: ignore[attr-defined]
    # A directory walk reports it too (issue 12: reported, never opened), it never drops it.
    [walked] = scan_paths([tmp_path])
    assert walked.errors and walked.findings[0].rule.value == "GEN003"
    from mlsvs.scanner import identify

    assert identify(fifo).value == "unknown"  # and identify() does not block either


def test_device_is_never_opened() -> None:
    report = scan_path("/dev/zero")
    assert report.errors and "device" in report.errors[0]


def test_zip_holding_an_image_has_no_finding(tmp_path: Path) -> None:
    path = tmp_path / "doc.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
        z.writestr("word/document.xml", "<w:document/>")
    assert scan_path(path).findings == ()


def test_nested_buffers_share_one_memory_budget(tmp_path: Path) -> None:
    import gzip
    import io

    from mlsvs.scanner import ScanOptions

    inner = gzip.compress(b"\x80\x02N." + b"\x00" * (3 << 20))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("payload.pkl.gz", inner + b"\x00" * (3 << 20))
    path = tmp_path / "nested.zip"
    path.write_bytes(buf.getvalue())
    options = ScanOptions(max_member_bytes=4 << 20, max_memory_bytes=5 << 20)
    report = scan_path(path, options=options)
    assert "ARC001" in {f.rule.value for f in report.findings}
    assert not report.verified
    assert scan_path(path, options=ScanOptions(max_memory_bytes=16 << 20)).verified


def test_stored_member_larger_than_the_memory_limit_is_scanned_in_place(tmp_path: Path) -> None:
    import json
    import struct

    from mlsvs.scanner import ScanOptions

    n = 3 << 20
    header = json.dumps({"w": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}}).encode()
    tensors = struct.pack("<Q", len(header)) + header + b"\x00" * n
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("model.safetensors", tensors)
    report = scan_path(path, options=ScanOptions(max_member_bytes=1 << 20))
    assert report.findings == () and report.verified
