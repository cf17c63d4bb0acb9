"""Protobuf wire-format writers for test samples (varints, length-delimited fields)."""

from __future__ import annotations


def varint(n: int) -> bytes:
    """``n`` (non-negative) as a minimal protobuf varint."""
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not out[-1] & 0x80:
            return bytes(out)


def len_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field: key, length, payload."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload
