"""Minimal protobuf wire-format reader (stdlib only) for ONNX, TF SavedModel and other files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

VARINT, I64, LEN, I32 = 0, 1, 2, 5


class ProtoError(Exception):
    """The buffer is not valid protobuf wire format."""


def varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the offset after it."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint longer than 10 bytes")


def fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yield (field number, wire type, value) of one message; LEN values are memoryviews."""
    view = memoryview(buf)
    pos = 0
    while pos < len(view):
        key, pos = varint(view, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoError("field number 0")
        match wire:
            case 0:
                value, pos = varint(view, pos)
                yield number, wire, value
            case 1 | 5:
                n = 8 if wire == 1 else 4
                if pos + n > len(view):
                    raise ProtoError("truncated fixed-width field")
                yield number, wire, int.from_bytes(view[pos : pos + n], "little")
                pos += n
            case 2:
                n, pos = varint(view, pos)
                if pos + n > len(view):
                    raise ProtoError("length-delimited field runs past the end")
                yield number, wire, view[pos : pos + n]
                pos += n
            case _:
                raise ProtoError(f"unsupported wire type {wire}")


def len_fields(buf: bytes | memoryview) -> dict[int, list[memoryview]]:
    """Every length-delimited field of one message, by field number, in order; one pass.

    The same reading as ``fields`` (same errors on the same bytes), for callers that look up
    several fields of one message: a pass per ``submessages``/``text`` call walked an ONNX
    node and each of its attributes up to seven times.
    """
    view = memoryview(buf)
    out: dict[int, list[memoryview]] = {}
    pos, end = 0, len(view)
    while pos < end:
        key = view[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = varint(view, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == LEN:
            if pos < end and view[pos] < 0x80:
                n = view[pos]
                pos += 1
            else:
                n, pos = varint(view, pos)
            if pos + n > end:
                raise ProtoError("length-delimited field runs past the end")
            value = view[pos : pos + n]
            found = out.get(number)
            if found is None:
                out[number] = [value]
            else:
                found.append(value)
            pos += n
        elif wire == VARINT:
            _, pos = varint(view, pos)
        elif wire in (I64, I32):
            pos += 8 if wire == I64 else 4
            if pos > end:
                raise ProtoError("truncated fixed-width field")
        else:
            raise ProtoError(f"unsupported wire type {wire}")
    return out


def last_text(found: dict[int, list[memoryview]], number: int) -> str:
    """``text`` over a ``len_fields`` result."""
    values = found.get(number)
    return bytes(values[-1]).decode("utf-8", "replace") if values else ""


def submessages(buf: bytes | memoryview, number: int) -> Iterator[memoryview]:
    """Every length-delimited field ``number`` of a message."""
    for num, wire, value in fields(buf):
        if num == number and wire == LEN and isinstance(value, memoryview):
            yield value


def text(buf: bytes | memoryview, number: int) -> str:
    """The last string field ``number`` ('' when absent)."""
    out = ""
    for value in submessages(buf, number):
        out = bytes(value).decode("utf-8", "replace")
    return out


def prefix_fields(
    head: bytes, total: int, *, first: tuple[int, int] | None = None
) -> list[tuple[int, int, int]] | None:
    """(number, wire type, varint value or length) of the top-level fields in ``head``.

    ``head`` may be a prefix of a ``total``-byte message: a last field cut by the prefix is
    accepted when its declared length fits in ``total``. None when the bytes are not protobuf,
    or when ``first`` (number, wire type) is given and the first field is another: a caller
    that only wants messages opening with that field walks nothing else (text decodes as
    thousands of short fields, a tokenizer's head as thousands of pieces).
    """
    out: list[tuple[int, int, int]] = []
    pos = 0
    try:
        if first is not None:
            key, _ = varint(head, 0)
            if (key >> 3, key & 7) != first:
                return None
        while pos < len(head):
            key, pos = varint(head, pos)
            number, wire = key >> 3, key & 7
            if number == 0 or wire not in (0, 1, 2, 5):
                return None
            if wire == VARINT:
                value, pos = varint(head, pos)
            elif wire == LEN:
                value, pos = varint(head, pos)
                if pos + value > len(head):
                    if pos + value > total:
                        return None
                    out.append((number, wire, value))
                    return out
                pos += value
            else:
                value = 8 if wire == I64 else 4
                pos += value
            out.append((number, wire, value))
    except ProtoError:
        return out if total > len(head) and out else None
    return out
