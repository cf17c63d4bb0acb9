"""The inline SentencePiece walk accepts exactly what a plain protobuf walk accepts.

The reference below is the generic reading (every field through ``proto.fields``); the fast
path in ``tensorfiles`` must never accept a file the reference rejects, and must agree on
well-formed models and on every truncation of one.
"""

from __future__ import annotations

import random
import struct

import pytest

from mlsvs.scanner import proto, tensorfiles

_PIECE_WIRES = {1: proto.LEN, 2: proto.I32, 3: proto.VARINT}


def _reference(data: bytes) -> int | None:
    pieces = 0
    try:
        for number, _, value in proto.fields(data):
            if number not in {1, 2, 3, 4, 5} or not isinstance(value, memoryview):
                return None
            if number == 1:
                seen = False
                for n, wire, v in proto.fields(value):
                    if _PIECE_WIRES.get(n) != wire:
                        return None
                    if n == 1 and isinstance(v, memoryview):
                        bytes(v).decode("utf-8")
                        seen = True
                if not seen:
                    return None
                pieces += 1
            else:
                for _ in proto.fields(value):
                    pass
    except (proto.ProtoError, UnicodeDecodeError):
        return None
    return pieces


def _fast(data: bytes) -> int | None:
    try:
        return tensorfiles._model_proto(data)
    except (proto.ProtoError, UnicodeDecodeError):
        return None


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not out[-1] & 0x80:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _model(rng: random.Random, n: int) -> bytes:
    pieces = []
    for i in range(n):
        text = rng.choice(["<unk>", "▁the", "模型", "x" * rng.randrange(1, 300), f"tok{i}"])
        body = _field(1, text.encode()) + b"\x15" + struct.pack("<f", -i / 7)
        if rng.random() < 0.5:
            body += b"\x18" + _varint(rng.choice([1, 2, 3, 6, 200]))
        pieces.append(_field(1, body))
    trainer = _field(2, b"\x0a\x05a.txt" + b"\x18\x88\x27")
    normalizer = _field(3, b"\x0a\x08nmt_nfkc")
    return b"".join(pieces) + trainer + normalizer


@pytest.mark.parametrize("seed", range(3))
def test_fast_walk_agrees_on_models_and_truncations(seed: int) -> None:
    rng = random.Random(seed)
    data = _model(rng, 300)
    assert _fast(data) == _reference(data) == 300
    for cut in sorted(rng.sample(range(1, len(data)), 200)):
        assert _fast(data[:cut]) == _reference(data[:cut]), cut


def test_fast_walk_is_never_laxer_than_the_reference_on_mutants() -> None:
    rng = random.Random(20261202)
    base = _model(rng, 60)
    agreed = 0
    for _ in range(3000):
        mutant = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        fast, ref = _fast(bytes(mutant)), _reference(bytes(mutant))
        if fast is not None:
            assert fast == ref, bytes(mutant)
        agreed += fast == ref
    # The fast path only refuses what the reference accepts through over-long varint keys.
    assert agreed >= 2970
