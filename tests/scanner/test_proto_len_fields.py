"""``proto.len_fields`` is ``proto.fields`` read in one pass: same values, same errors."""

from __future__ import annotations

import random

import pytest

from mlsvs.scanner import proto
from tests.scanner.protowire import varint


def _message(rng: random.Random, depth: int = 0) -> bytes:
    """Fields of every wire type, numbers from 1 to 2**20 (multi-byte keys), nested messages
    and payloads of 0-300 bytes (multi-byte lengths)."""
    out = bytearray()
    for _ in range(rng.randrange(1, 12)):
        number = rng.choice([1, 2, 5, 7, 15, 16, 300, 2**20])
        wire = rng.choice([proto.VARINT, proto.I64, proto.LEN, proto.I32])
        out += varint(number << 3 | wire)
        if wire == proto.VARINT:
            out += varint(rng.choice([0, 1, 127, 128, 2**35, 2**64 - 1]))
        elif wire in (proto.I64, proto.I32):
            out += rng.randbytes(8 if wire == proto.I64 else 4)
        else:
            payload = _message(rng, depth + 1) if depth < 2 and rng.random() < 0.4 else b""
            payload = payload or rng.randbytes(rng.choice([0, 3, 127, 128, 300]))
            out += varint(len(payload)) + payload
    return bytes(out)


def _by_fields(data: bytes) -> dict[int, list[bytes]] | str:
    out: dict[int, list[bytes]] = {}
    try:
        for number, wire, value in proto.fields(data):
            if wire == proto.LEN and isinstance(value, memoryview):
                out.setdefault(number, []).append(bytes(value))
    except proto.ProtoError:
        return "error"
    return out


def _by_len_fields(data: bytes) -> dict[int, list[bytes]] | str:
    try:
        found = proto.len_fields(data)
    except proto.ProtoError:
        return "error"
    return {number: [bytes(v) for v in values] for number, values in found.items()}


@pytest.mark.parametrize("seed", range(4))
def test_same_reading_on_messages_truncations_and_mutants(seed: int) -> None:
    rng = random.Random(seed)
    errors = 0
    for _ in range(300):
        data = _message(rng)
        assert _by_len_fields(data) == _by_fields(data) != "error"
        cut = data[: rng.randrange(len(data))]
        mutant = bytearray(data)
        mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        for sample in (cut, bytes(mutant)):
            expected = _by_fields(sample)
            assert _by_len_fields(sample) == expected, sample
            errors += expected == "error"
    assert errors > 50  # the damaged samples did reach the error paths


def test_last_text_is_the_last_stringlen_field() -> None:
    data = b"\x0a\x02ab\x12\x01x\x0a\x03c\xffd"
    found = proto.len_fields(data)
    assert proto.last_text(found, 1) == proto.text(data, 1) == "c\ufffdd"
    assert proto.last_text(found, 9) == proto.text(data, 9) == ""


@pytest.mark.parametrize("seed", range(3))
def test_prefix_fields_with_a_first_field_walks_only_heads_that_open_with_it(seed: int) -> None:
    """``first=`` gives the same fields for heads opening with that field (a one-byte or an
    overlong key), and None for every other head without walking it."""
    rng = random.Random(seed)
    for _ in range(300):
        data = _message(rng)
        key = proto.varint(data, 0)[0]
        got = proto.prefix_fields(data, len(data), first=(1, proto.VARINT))
        opens = (key >> 3, key & 7) == (1, proto.VARINT)
        assert got == (proto.prefix_fields(data, len(data)) if opens else None)
        versioned = b"\x08\x01" + data  # an ONNX-like opening: ir_version 1
        assert proto.prefix_fields(versioned, len(versioned), first=(1, proto.VARINT)) == (
            proto.prefix_fields(versioned, len(versioned))
        )
    head = b"\x08\x07" + b"\x12\x01x"
    overlong = b"\x88\x80\x00\x07" + b"\x12\x01x"  # field 1, varint, key in three bytes
    for sample in (head, overlong):
        assert proto.prefix_fields(sample, len(sample), first=(1, proto.VARINT)) == [
            (1, proto.VARINT, 7),
            (2, proto.LEN, 1),
        ]
    assert proto.prefix_fields(b"\x0a\x01x", 3, first=(1, proto.VARINT)) is None
    assert proto.prefix_fields(b"# README\n", 9, first=(1, proto.VARINT)) is None
    assert proto.prefix_fields(b"", 0, first=(1, proto.VARINT)) is None
