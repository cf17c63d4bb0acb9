"""SentencePiece tokenizer models (``tokenizer.model``, ``spiece.model`` of Llama, T5, ...).

The file is a ``ModelProto``: pieces (text, score, type), then trainer, normaliser, self-test
and denormaliser specs. The C++ library parses it with protobuf and reads pieces and normaliser
tables; nothing in it is evaluated. A file is recognised only when it parses against that
schema: every top-level field one of the ModelProto's messages, every piece holding only its
three fields with their wire types and its text present, the specs well-formed messages.
Piece texts are not required to be UTF-8: the library's proto2 parser does not check them.

Two readers answer that one question. With protobuf's C parser (upb) installed, the file is
parsed against the schema built below, unknown fields are dropped and the message is written
again: a file that comes back byte for byte is accepted (sentencepiece writes canonical
protobuf, so real tokenizers take this path: ~20 ms for 130k pieces instead of ~140 ms; files
under 1 MiB take it only once protobuf is imported, as importing it costs more than walking).
Anything else, and every file when upb is absent, goes to the wire walk, which accepts the same
structure in any valid encoding. The fast reader can only accept what the walk accepts: a file
equal to its re-serialisation holds no field the schema lacks and no field in another wire type.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING, Any

from mlsvs.scanner import proto

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource

_MAX_PARSE = 64 * 1024 * 1024
"""Larger files are left to "not verified" (the parse reads the whole file)."""
_FAST_MAX = 16 * 1024 * 1024
"""Largest file given to the C parser: its message objects take several times the file's size
(the scanner's memory bound is 256 MiB); larger tokenizers take the wire walk."""
_FAST_MIN = 1024 * 1024
"""Smaller files take the wire walk unless protobuf is imported already: walking a Llama
tokenizer (500 KB, 32k pieces) takes ~18 ms, importing protobuf ~25 ms before its parse."""
_MIN_PIECES = 3
_TOP = frozenset({1, 2, 3, 4, 5})
"""ModelProto: pieces, trainer_spec, normalizer_spec, self_test_data, denormalizer_spec."""
_FAST_IMPLEMENTATIONS = frozenset({"upb", "cpp"})
"""protobuf's C parsers; its pure-Python one is slower than the walk below."""
_DESCRIPTION = "SentencePiece tokenizer model"


def describe_sentencepiece(src: ByteSource) -> str | None:
    """ "SentencePiece tokenizer model" when ``src`` parses as its ModelProto, else None."""
    if src.size < 8 or src.size > _MAX_PARSE or src.read_at(0, 1) != b"\n":
        return None  # the first field is a piece (field 1, LEN)
    data = src.read_at(0, src.size)
    loaded = "google.protobuf.message_factory" in sys.modules
    fast = len(data) <= _FAST_MAX and (loaded or len(data) >= _FAST_MIN)
    pieces = _canonical_pieces(data) if fast else None
    if pieces is None:
        try:
            pieces = model_proto(data)
        except proto.ProtoError:
            return None
    return _DESCRIPTION if pieces is not None and pieces >= _MIN_PIECES else None


def _canonical_pieces(data: bytes) -> int | None:
    """Pieces of a ModelProto that is its own canonical serialisation; None when the C parser
    is absent or the file is anything else (the wire walk then decides)."""
    parser = _parser()
    if parser is None:
        return None
    model_class, errors = parser
    message = model_class()
    try:
        message.ParseFromString(data)
        message.DiscardUnknownFields()
        # Raises EncodeError when a piece lacks its (required) text.
        if message.SerializeToString() != data:
            return None
        for spec in ("trainer_spec", "normalizer_spec", "self_test_data", "denormalizer_spec"):
            for _ in proto.fields(getattr(message, spec)):
                pass  # kept as bytes in the schema: each must still be a message
    except errors:
        return None
    return len(message.pieces)


@cache
def _parser() -> tuple[Any, tuple[type[Exception], ...]] | None:
    """The ModelProto message class on protobuf's C parser and the errors its parsing and
    writing raise, or None (protobuf not installed, or only its pure-Python implementation)."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        from google.protobuf.internal import api_implementation
        from google.protobuf.message import DecodeError, EncodeError
    except ImportError:
        return None
    if api_implementation.Type() not in _FAST_IMPLEMENTATIONS:
        return None
    fdp = descriptor_pb2.FieldDescriptorProto
    schema = descriptor_pb2.FileDescriptorProto(
        name="mlsvs_sentencepiece.proto", package="mlsvs_sentencepiece", syntax="proto2"
    )
    piece = schema.message_type.add(name="Piece")
    # Types that re-serialise every valid value unchanged: the score's bits as fixed32 (a
    # float NaN payload stays put), the type enum as uint64 (the walk accepts any varint).
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
    for number, name in enumerate(
        ("trainer_spec", "normalizer_spec", "self_test_data", "denormalizer_spec"), start=2
    ):
        model.field.add(name=name, number=number, type=fdp.TYPE_BYTES, label=fdp.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(schema)
    model_class = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("mlsvs_sentencepiece.Model")
    )
    return model_class, (DecodeError, EncodeError, proto.ProtoError)


def model_proto(data: bytes) -> int | None:
    """The wire walk: pieces in a well-formed ModelProto, None if a field does not belong there.
    Raises ProtoError on bytes that are not protobuf.

    Pieces (field 1) are most of the file, 32k-250k of them: they are walked inline here
    (one-byte keys and lengths on a fast path) instead of through ``proto.fields``' generator.
    Other fields take the generic path.
    """
    pos, end, pieces = 0, len(data), 0
    while pos < end:
        if data[pos] == 0x0A:  # field 1, LEN: one SentencePiece
            length, pos = _length(data, pos + 1, end)
            stop = pos + length
            # The layout sentencepiece writes: text (short), score, a one-byte type or none.
            text_end = pos + 2 + (data[pos + 1] if pos + 1 < stop else 0x80)
            if not (
                text_end + 5 <= stop
                and data[pos] == 0x0A
                and data[pos + 1] < 0x80
                and data[text_end] == 0x15
                and (
                    text_end + 5 == stop
                    or (
                        text_end + 7 == stop
                        and data[text_end + 5] == 0x18
                        and data[text_end + 6] < 0x80
                    )
                )
            ):
                _piece_at(data, pos, stop)
            pieces += 1
            pos = stop
            continue
        key, pos = proto.varint(data, pos)
        number, wire = key >> 3, key & 7
        if number not in _TOP or wire != proto.LEN:
            return None
        length, pos = _length(data, pos, end)
        if number == 1:  # a piece behind a key in a longer (non-minimal) varint encoding
            _piece_at(data, pos, pos + length)
            pieces += 1
        else:
            for _ in proto.fields(memoryview(data)[pos : pos + length]):
                pass  # a well-formed message, nothing more is read
        pos += length
    return pieces


def _length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """A LEN field's length (varint at ``pos``) and where its payload starts; it must fit."""
    if pos < end and data[pos] < 0x80:
        length, pos = data[pos], pos + 1
    else:
        length, pos = proto.varint(data, pos)
    if pos + length > end:
        raise proto.ProtoError("length-delimited field runs past the end")
    return length, pos


def _piece_at(data: bytes, pos: int, end: int) -> None:
    """One SentencePiece message in ``data[pos:end]``: piece (1, text), score (2, fixed32),
    type (3, varint), nothing else, the text present. Raises ProtoError otherwise."""
    seen = False
    while pos < end:
        key = data[pos]
        pos += 1
        if key == 0x0A:  # piece
            length, pos = _length(data, pos, end)
            seen = True
            pos += length
        elif key == 0x15:  # score: fixed32
            pos += 4
            if pos > end:
                raise proto.ProtoError("truncated fixed-width field")
        elif key == 0x18:  # type: varint
            _, pos = proto.varint(data, pos)
            if pos > end:
                raise proto.ProtoError("truncated varint")
        else:  # another field, another wire type, or a multi-byte key: not a piece
            raise proto.ProtoError("not a SentencePiece field")
    if not seen:
        raise proto.ProtoError("piece without text")
