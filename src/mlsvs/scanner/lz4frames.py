"""LZ4 frames (joblib's ``compress='lz4'``) through the ``lz4`` package: optional (extra
``archives``), imported only when a file opens with the frame magic. Without it such a file is
"not verified", naming what is missing."""

from __future__ import annotations

from typing import Protocol, cast

LZ4_FRAME = b"\x04\x22\x4d\x18"
LZ4_ERROR: type[Exception] = RuntimeError
"""What ``lz4.frame`` raises on a damaged frame."""


class Decompressor(Protocol):
    """What the zlib, bz2 and lzma decompressors and ``LZ4FrameDecompressor`` have in common."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def lz4_decompressor() -> Decompressor | None:
    """A new ``LZ4FrameDecompressor``, or None when the lz4 package is absent."""
    try:
        import lz4.frame
    except ImportError:
        return None
    return cast("Decompressor", lz4.frame.LZ4FrameDecompressor())
