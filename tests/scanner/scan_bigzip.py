"""Build a multi-GB PyTorch-style zip checkpoint as a sparse file (holes cost no disk or time)."""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def _zeros_crc(size: int) -> int:
    crc = 0
    chunk = bytes(64 * 1024 * 1024)
    left = size
    while left:
        n = min(left, len(chunk))
        crc = zlib.crc32(memoryview(chunk)[:n], crc)
        left -= n
    return crc


def sparse_checkpoint(
    path: Path, size: int, *, pickle_bytes: bytes | None = None, crc: bool = False
) -> None:
    """Write ``archive/data.pkl``, ``archive/version`` and a ``size``-byte stored tensor."""
    from tests.scanner.scan_pk import benign_dict

    members = [
        ("archive/data.pkl", pickle_bytes if pickle_bytes is not None else benign_dict()),
        ("archive/version", b"3\n"),
    ]
    central = b""
    with path.open("wb") as fh:
        for name, data in members:
            offset = fh.tell()
            raw = name.encode()
            crc32 = zlib.crc32(data)
            fh.write(
                struct.pack(
                    "<4sHHHHHIIIHH",
                    b"PK\x03\x04",
                    20,
                    0,
                    0,
                    0,
                    0,
                    crc32,
                    len(data),
                    len(data),
                    len(raw),
                    0,
                )
            )
            fh.write(raw + data)
            central += (
                struct.pack(
                    "<4sHHHHHHIIIHHHHHII",
                    b"PK\x01\x02",
                    45,
                    20,
                    0,
                    0,
                    0,
                    0,
                    crc32,
                    len(data),
                    len(data),
                    len(raw),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + raw
            )
        offset = fh.tell()
        raw = b"archive/data/0"
        crc32 = _zeros_crc(size) if crc else 0
        extra_local = struct.pack("<HHQQ", 1, 16, size, size)
        fh.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                45,
                0,
                0,
                0,
                0,
                crc32,
                0xFFFFFFFF,
                0xFFFFFFFF,
                len(raw),
                len(extra_local),
            )
        )
        fh.write(raw + extra_local)
        fh.seek(size, 1)  # the hole
        extra_central = struct.pack("<HHQQQ", 1, 24, size, size, offset)
        central += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                45,
                45,
                0,
                0,
                0,
                0,
                crc32,
                0xFFFFFFFF,
                0xFFFFFFFF,
                len(raw),
                len(extra_central),
                0,
                0,
                0,
                0,
                0xFFFFFFFF,
            )
            + raw
            + extra_central
        )
        cd_offset = fh.tell()
        fh.write(central)
        eocd64 = fh.tell()
        count = len(members) + 1
        fh.write(
            struct.pack(
                "<4sQHHIIQQQQ",
                b"PK\x06\x06",
                44,
                45,
                45,
                0,
                0,
                count,
                count,
                len(central),
                cd_offset,
            )
        )
        fh.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1))
        fh.write(
            struct.pack(
                "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), 0xFFFFFFFF, 0
            )
        )
