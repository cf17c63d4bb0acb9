"""Recognise a response body that is a model file or an archive (a weights download), by its
first bytes only (pure; nothing is parsed or loaded)."""

from __future__ import annotations

import struct

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip archive (PyTorch / Keras / skops / MLflow model)"),
    (b"\x89HDF\r\n\x1a\n", "HDF5 (Keras .h5)"),
    (b"GGUF", "GGUF weights"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x93NUMPY", "NumPy array"),
)
_PICKLE_PROTOCOLS = frozenset(range(2, 6))
_ONNX_NEXT = frozenset({0x12, 0x1A, 0x22, 0x42})


def artifact_format(prefix: bytes) -> str:
    """The format ``prefix`` starts like, or ``""``."""
    for magic, name in _MAGIC:
        if prefix.startswith(magic):
            return name
    if len(prefix) >= 2 and prefix[0] == 0x80 and prefix[1] in _PICKLE_PROTOCOLS:
        return "pickle"
    if len(prefix) >= 265 and prefix[257:262] == b"ustar":
        return "tar archive"
    if len(prefix) >= 10:
        (header_len,) = struct.unpack("<Q", prefix[:8])
        if 2 <= header_len <= 100_000_000 and prefix[8:10] == b'{"':
            return "safetensors"
    if len(prefix) >= 4 and prefix[0] == 0x08 and 3 <= prefix[1] <= 12 and prefix[2] in _ONNX_NEXT:
        # ONNX ModelProto: field 1 (ir_version, a small varint), then a length-delimited field
        # (producer_name, producer_version, domain or opset_import).
        return "ONNX model"
    return ""
