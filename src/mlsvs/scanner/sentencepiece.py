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
protobuf, so real tokenizers take this path: ~25 ms for 130k pieces instead of ~90 ms; files
under 256 KiB take it only once upb is imported, as importing it costs more than walking them).
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
_FAST_MIN = 256 * 1024
"""Smaller files take the wire walk unless upb is imported already: importing it (it imports
protobuf's well-known types too) and building the classes costs ~9 ms, as much as walking
~250 KB of pieces (a 560 KB, 32k-piece tokenizer: walk ~14 ms, C parser ~7 ms after it)."""
_MIN_PIECES = 3
_TOP = frozenset({1, 2, 3, 4, 5})
"""ModelProto: pieces, trainer_spec, normalizer_spec, self_test_data, denormalizer_spec."""
_DESCRIPTION = "SentencePiece tokenizer model"


def describe_sentencepiece(src: ByteSource) -> str | None:
    """ "SentencePiece tokenizer model" when ``src`` parses as its ModelProto, else None."""
    if src.size < 8 or src.size > _MAX_PARSE or src.read_at(0, 1) != b"\n":
        return None  # the first field is a piece (field 1, LEN)
    data = src.read_at(0, src.size)
    loaded = "google._upb._message" in sys.modules
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
    """The ModelProto message class on protobuf's C parser (upb) and the errors its parsing and
    writing raise, or None (protobuf absent, or too old to have upb).

    The classes are made straight from upb's module, as protobuf's own ``message_factory``
    makes them: its Python layer (descriptor pool, ``descriptor_pb2``, text format) costs
    ~25 ms to import and nothing here needs it. A protobuf whose upb module does not take these
    calls gives None (the walk then reads every file).
    """
    try:
        from google._upb import _message
        from google.protobuf.message import DecodeError, EncodeError, Message
    except ImportError:
        return None
    try:
        pool = _message.DescriptorPool()
        pool.AddSerializedFile(_schema())
        classes: dict[str, Any] = {}
        for name in ("Piece", "Model"):  # the fields' message classes before their message's
            body = {
                "DESCRIPTOR": pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"),
                "__module__": None,  # as in message_factory: no importable module holds it
            }
            classes[name] = _message.MessageMeta(name, (Message,), body)
    except Exception:  # noqa: BLE001 - any upb that refuses these calls leaves files to the walk
        return None
    return classes["Model"], (DecodeError, EncodeError, proto.ProtoError)


_PACKAGE = "mlsvs_sentencepiece"
_BYTES, _FIXED32, _UINT64, _MESSAGE = 12, 7, 4, 11
"""``FieldDescriptorProto.Type`` values."""
_OPTIONAL, _REQUIRED, _REPEATED = 1, 2, 3
"""``FieldDescriptorProto.Label`` values."""


def _schema() -> bytes:
    """The serialised ``FileDescriptorProto`` (proto2) of the two messages read here.

    Types that re-serialise every valid value unchanged: the score's bits as fixed32 (a float
    NaN payload stays put), the type enum as uint64 (the walk accepts any varint), the specs as
    bytes (each is then walked as a message).
    """

    def field(name: str, number: int, label: int, kind: int, type_name: str = "") -> bytes:
        # FieldDescriptorProto: name 1, number 3, label 4, type 5, type_name 6.
        body = _text(1, name) + _small(3, number) + _small(4, label) + _small(5, kind)
        return _message_field(2, body + (_text(6, type_name) if type_name else b""))

    piece = (
        field("piece", 1, _REQUIRED, _BYTES)
        + field("score", 2, _OPTIONAL, _FIXED32)
        + field("type", 3, _OPTIONAL, _UINT64)
    )
    specs = ("trainer_spec", "normalizer_spec", "self_test_data", "denormalizer_spec")
    model = field("pieces", 1, _REPEATED, _MESSAGE, f".{_PACKAGE}.Piece") + b"".join(
        field(name, number, _OPTIONAL, _BYTES) for number, name in enumerate(specs, start=2)
    )
    # FileDescriptorProto: name 1, package 2, message_type 4 (DescriptorProto: name 1,
    # field 2), syntax 12.
    return (
        _text(1, f"{_PACKAGE}.proto")
        + _text(2, _PACKAGE)
        + _message_field(4, _text(1, "Piece") + piece)
        + _message_field(4, _text(1, "Model") + model)
        + _text(12, "proto2")
    )


def _text(number: int, value: str) -> bytes:
    return _message_field(number, value.encode())


def _message_field(number: int, body: bytes) -> bytes:
    """A length-delimited field (every key and length written here is below 2**14)."""
    return _varint(number << 3 | proto.LEN) + _varint(len(body)) + body


def _small(number: int, value: int) -> bytes:
    return _varint(number << 3 | proto.VARINT) + _varint(value)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


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
