"""Fuzz: truncated, random and adversarial bytes never crash or hang; there is always a verdict."""

from __future__ import annotations

import random
import struct
import time
import zipfile
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import ScanOptions, scan_path

if TYPE_CHECKING:
    from pathlib import Path

_LIMIT_S = 10.0  # generous: CI machines are shared; typical runs are ~100x faster


def _verdict(path: Path) -> None:
    start = time.perf_counter()
    report = scan_path(path, options=ScanOptions(max_opcodes=2_000_000))
    assert time.perf_counter() - start < _LIMIT_S, path
    assert report.format is not None


def test_truncations_of_every_sample(
    tmp_path: Path, benign_files: dict[str, Path], malicious_files: dict[str, Path]
) -> None:
    rng = random.Random(1234)
    samples = [p for p in [*benign_files.values(), *malicious_files.values()] if p.is_file()]
    for i, sample in enumerate(samples):
        data = sample.read_bytes()
        cuts = {1, 7, len(data) // 2, max(0, len(data) - 1), rng.randrange(len(data) + 1)}
        for cut in sorted(cuts):
            target = tmp_path / f"t{i}-{cut}{sample.suffix}"
            target.write_bytes(data[:cut])
            _verdict(target)
        flipped = bytearray(data)
        for _ in range(8):
            if flipped:
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        target = tmp_path / f"f{i}{sample.suffix}"
        target.write_bytes(bytes(flipped))
        _verdict(target)


def test_random_bytes(tmp_path: Path) -> None:
    rng = random.Random(99)
    prefixes = [b"", b"\x80\x02", b"\x80\x05\x95", b"PK\x03\x04", b"GGUF\x03\x00\x00\x00",
                b"\x93NUMPY\x01\x00", b"\x89HDF\r\n\x1a\n", b"\x1f\x8b", b"x\x9c", b"(", b"c"]  # fmt: skip
    for i in range(200):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512)))
        path = tmp_path / f"r{i}"
        path.write_bytes(prefixes[i % len(prefixes)] + body)
        _verdict(path)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x04" + b"(" * 100_000 + b".",  # deep marks
        b"\x80\x02" + b"](" * 30_000 + b".",  # deep nesting
        b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"x",  # huge BINBYTES8
        b"\x80\x04\x8d" + struct.pack("<Q", (1 << 64) - 1),  # huge BINUNICODE8
        b"\x80\x02\x8b" + struct.pack("<I", 1 << 31) + b"\x00",  # huge LONG4
        b"\x80\x04\x95" + struct.pack("<Q", 1 << 60) + b"N.",  # absurd FRAME
        b"\x80\x02" + b"N" * 100_000 + b"t.",  # TUPLE without MARK after many pushes
        b"\x80\x02j\xff\xff\xff\xff.",  # LONG_BINGET of a missing slot
        b"GGUF\x03\x00\x00\x00" + struct.pack("<QQ", 0, 1) + struct.pack("<Q", 1 << 60),
        struct.pack("<Q", 40) + b'{"a":' * 8 + b"1" + b"}" * 8 + b"\x00" * 8,
    ],
    ids=lambda payload: f"{payload[:12]!r}-{len(payload)}",
)
def test_adversarial_inputs(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "adv"
    path.write_bytes(payload)
    _verdict(path)
    assert scan_path(path).findings


def test_self_referencing_list_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "selfref.pkl"
    path.write_bytes(b"\x80\x02]" + b"2a" * 50_000 + b".")
    _verdict(path)
    assert scan_path(path).findings == ()


def test_zip_bomb_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.bin", b"\x00" * (64 * 1024 * 1024))
    start = time.perf_counter()
    report = scan_path(path, options=ScanOptions(max_member_bytes=4 * 1024 * 1024))
    assert time.perf_counter() - start < _LIMIT_S
    assert {f.rule.value for f in report.findings} == {"ARC001"}


def test_nesting_depth_is_bounded(tmp_path: Path) -> None:
    import gzip

    data = b"\x80\x02N."
    for _ in range(12):
        data = gzip.compress(data)
    path = tmp_path / "deep.gz"
    path.write_bytes(data)
    assert "ARC001" in {f.rule.value for f in scan_path(path).findings}


def test_large_checkpoint_costs_only_its_pickles(tmp_path: Path) -> None:
    """A sparse 2 GB torch checkpoint (small data.pkl, huge stored tensor) scans in well under 1 s."""
    from tests.scanner.scan_pk import benign_dict

    path = tmp_path / "big.pt"
    size = 2 * 1024**3
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", benign_dict())
        z.writestr("archive/version", "3\n")
        info = zipfile.ZipInfo("archive/data/0")
        with z.open(info, "w", force_zip64=True) as fh:
            fh.write(b"\x00" * 4096)
    _inflate_sparse(path, size)
    start = time.perf_counter()
    report = scan_path(path)
    elapsed = time.perf_counter() - start
    assert report.findings == (), [f.message for f in report.findings]
    assert elapsed < 1.0, elapsed
    assert report.bytes_read < 1024 * 1024


def _inflate_sparse(path: Path, size: int) -> None:
    """Rewrite the archive so the tensor member is ``size`` bytes of holes (no real I/O)."""
    from tests.scanner.scan_bigzip import sparse_checkpoint

    sparse_checkpoint(path, size)
