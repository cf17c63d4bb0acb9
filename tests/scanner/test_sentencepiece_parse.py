"""Both SentencePiece readers accept exactly what a plain protobuf walk accepts.

The reference below is the generic reading (every field through ``proto.fields``). The inline
wire walk and the C-parser reader in ``sentencepiece`` must never accept a file the reference
rejects, and must agree with it on well-formed models and on every truncation of one.
"""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import proto, sentencepiece
from mlsvs.scanner.api import scan_path
from mlsvs.scanner.context import ByteSource
from tests.scanner.protowire import len_field, varint

if TYPE_CHECKING:
    from collections.abc import Callable

_PIECE_WIRES = {1: proto.LEN, 2: proto.I32, 3: proto.VARINT}


def _reference(data: bytes) -> int | None:
    pieces = 0
    try:
        for number, _, value in proto.fields(data):
            if number not in {1, 2, 3, 4, 5} or not isinstance(value, memoryview):
                return None
            if number == 1:
                seen = False
                for n, wire, _ in proto.fields(value):
                    if _PIECE_WIRES.get(n) != wire:
                        return None
                    seen = seen or n == 1
                if not seen:
                    return None
                pieces += 1
            else:
                for _ in proto.fields(value):
                    pass
    except proto.ProtoError:
        return None
    return pieces


def _walk(data: bytes) -> int | None:
    try:
        return sentencepiece.model_proto(data)
    except proto.ProtoError:
        return None


def _c_parser(data: bytes) -> int | None:
    """The C-parser reader; None also when it leaves the file to the walk."""
    return sentencepiece._canonical_pieces(data)


needs_c_parser = pytest.mark.skipif(
    sentencepiece._parser() is None, reason="protobuf's C parser (upb) is not installed"
)


def _model(rng: random.Random, n: int) -> bytes:
    return b"".join(_parts(rng, n))


def _parts(rng: random.Random, n: int) -> tuple[bytes, bytes]:
    """Pieces, then the specs that follow them in a file sentencepiece writes."""
    pieces = []
    for i in range(n):
        text = rng.choice(["<unk>", "▁the", "模型", "x" * rng.randrange(1, 300), f"tok{i}"])
        body = len_field(1, text.encode()) + b"\x15" + struct.pack("<f", -i / 7)
        if rng.random() < 0.5:
            body += b"\x18" + varint(rng.choice([1, 2, 3, 6, 200]))
        pieces.append(len_field(1, body))
    trainer = len_field(2, b"\x0a\x05a.txt" + b"\x18\x88\x27")
    normalizer = len_field(3, b"\x0a\x08nmt_nfkc")
    return b"".join(pieces), trainer + normalizer


@pytest.mark.parametrize("seed", range(3))
def test_walk_agrees_on_models_and_truncations(seed: int) -> None:
    rng = random.Random(seed)
    data = _model(rng, 300)
    assert _walk(data) == _reference(data) == 300
    for cut in sorted(rng.sample(range(1, len(data)), 200)):
        assert _walk(data[:cut]) == _reference(data[:cut]), cut


@needs_c_parser
@pytest.mark.parametrize("seed", range(3))
def test_c_parser_accepts_canonical_models_and_no_truncation(seed: int) -> None:
    rng = random.Random(seed)
    data = _model(rng, 300)
    assert _c_parser(data) == 300
    for cut in sorted(rng.sample(range(1, len(data)), 200)):
        got = _c_parser(data[:cut])
        assert got is None or got == _reference(data[:cut]), cut


@pytest.mark.parametrize("reader", [_walk, pytest.param(_c_parser, marks=needs_c_parser)])
def test_readers_are_never_laxer_than_the_reference_on_mutants(
    reader: Callable[[bytes], int | None],
) -> None:
    rng = random.Random(20261202)
    base = _model(rng, 60)
    accepted = {"reader": 0, "reference": 0}
    for _ in range(3000):
        mutant = bytes(_mutate(bytearray(base), rng))
        got, ref = reader(mutant), _reference(mutant)
        if got is not None:
            assert got == ref, mutant
        accepted["reader"] += got is not None
        accepted["reference"] += ref is not None
    # Most mutants land in texts and scores and stay models; a reader must take nearly all of
    # those (the walk refuses only over-long varint keys, the C parser a mutated length).
    assert accepted["reference"] > 1500
    assert accepted["reader"] >= 0.99 * accepted["reference"], accepted


def _mutate(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randrange(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data


@needs_c_parser
def test_c_parser_leaves_unknown_and_misplaced_fields_to_the_walk() -> None:
    """Unknown fields at a message's end would survive a plain re-serialisation."""
    pieces, specs = _parts(random.Random(5), 4)
    score = b"\x15\x00\x00\x80\x3f"

    def model(piece: bytes, tail: bytes = b"") -> bytes:
        return pieces + len_field(1, piece) + specs + tail

    assert _c_parser(model(len_field(1, b"abc") + score)) == 5
    for rejected in (
        model(len_field(1, b"abc") + score + b"\x20\x01"),  # a piece with a field 4
        model(len_field(1, b"abc") + b"\x10\x01"),  # score as a varint
        model(score),  # no text
        model(len_field(1, b"abc"), b"\x30\x01"),  # field 6 at top level
        model(len_field(1, b"abc"), len_field(4, b"\xff")),  # self_test_data that is no message
    ):
        assert _c_parser(rejected) is None and _walk(rejected) is None, rejected
    not_utf8 = model(len_field(1, b"\xff\xfe") + score)  # the library does not check texts
    assert _c_parser(not_utf8) == _walk(not_utf8) == 5
    # A valid but non-canonical encoding (a two-byte length for a short text) is left to the
    # walk, which still recognises the file.
    overlong = pieces + b"\x0a\x0b" + b"\x0a\x83\x00abc" + score + specs
    assert _c_parser(overlong) is None and _walk(overlong) == _reference(overlong) == 5
    source = ByteSource(io.BytesIO(overlong), len(overlong))
    assert sentencepiece.describe_sentencepiece(source) == "SentencePiece tokenizer model"


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
@pytest.mark.parametrize("c_parser", [True, False])
def test_models_trained_by_sentencepiece_are_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_type: str, c_parser: bool
) -> None:
    """Real tokenizers: the C-parser reader takes them whole, and the walk alone (protobuf
    absent) reaches the same verdict."""
    spm = pytest.importorskip("sentencepiece")
    if c_parser and sentencepiece._parser() is None:
        pytest.skip("protobuf's C parser (upb) is not installed")
    if not c_parser:
        monkeypatch.setattr(sentencepiece, "_parser", lambda: None)
    lines = [f"the model {i} reads tokens and writes pieces 模型 {i % 7}" for i in range(300)]
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buffer,
        vocab_size=40,
        model_type=model_type,
        minloglevel=2,
    )
    data = buffer.getvalue()
    assert _reference(data) == _walk(data) == 40
    assert _c_parser(data) == (40 if c_parser else None)
    path = tmp_path / "tokenizer.model"
    path.write_bytes(data)
    report = scan_path(path)
    assert report.clean and report.content == "SentencePiece tokenizer model", report


@needs_c_parser
def test_protobuf_is_imported_only_for_tokenizers_worth_it(tmp_path: Path) -> None:
    """A small tokenizer is walked (importing protobuf would cost more); a large one is read
    by the C parser. Both are recognised."""
    import subprocess
    import sys

    small, large = tmp_path / "small.model", tmp_path / "large.model"
    small.write_bytes(_model(random.Random(1), 300))
    large.write_bytes(_model(random.Random(2), 30000))
    assert large.stat().st_size > sentencepiece._FAST_MIN > small.stat().st_size
    probe = (
        "import sys\n"
        "from mlsvs.scanner.api import scan_path\n"
        "report = scan_path(sys.argv[1])\n"
        "print(report.content, 'google._upb._message' in sys.modules,"
        " 'google.protobuf.descriptor_pool' in sys.modules)\n"
    )
    seen = [
        subprocess.run(
            [sys.executable, "-c", probe, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for path in (small, large)
    ]
    # protobuf's Python layer (descriptor pool, descriptor_pb2) is never imported.
    assert seen == [
        "SentencePiece tokenizer model False False",
        "SentencePiece tokenizer model True False",
    ]


@needs_c_parser
def test_schema_is_the_one_descriptor_pb2_builds() -> None:
    """The hand-serialised schema is byte for byte protobuf's own ``FileDescriptorProto``."""
    from google.protobuf import descriptor_pb2

    fdp = descriptor_pb2.FieldDescriptorProto
    schema = descriptor_pb2.FileDescriptorProto(
        name="mlsvs_sentencepiece.proto", package="mlsvs_sentencepiece", syntax="proto2"
    )
    piece = schema.message_type.add(name="Piece")
    piece.field.add(name="piece", number=1, type=fdp.TYPE_BYTES, label=fdp.LABEL_REQUIRED)
    piece.field.add(name="score", number=2, type=fdp.TYPE_FIXED32, label=fdp.LABEL_OPTIONAL)
    piece.field.add(name="type", number=3, type=fdp.TYPE_UINT64, label=fdp.LABEL_OPTIONAL)
    model = schema.message_type.add(name="Model")
    model.field.add(
        name="pieces",
        number=1,
        type=fdp.TYPE_MESSAGE,
        label=fdp.LABEL_REPEATED,
        type_name=".mlsvs_sentencepiece.Piece",
    )
    specs = ("trainer_spec", "normalizer_spec", "self_test_data", "denormalizer_spec")
    for number, name in enumerate(specs, start=2):
        model.field.add(name=name, number=number, type=fdp.TYPE_BYTES, label=fdp.LABEL_OPTIONAL)
    assert sentencepiece._schema() == schema.SerializeToString()
