"""A tolerant pickle opcode decoder (protocols 0-5), in the spirit of ``pickletools.genops``.

It decodes one opcode at a time from a buffer and raises ``OpError`` with the offset instead
of stopping the whole analysis, so the caller can report what it saw before the damage.
Nothing is ever unpickled: arguments are decoded into plain ``str``/``bytes``/``int``/``float``.
"""

from __future__ import annotations

import ast
import codecs
import struct
from typing import NamedTuple

# opcode byte -> (name, argument kind)
_OPS: dict[int, tuple[str, str]] = {}


def _def(code: bytes, name: str, kind: str = "") -> None:
    _OPS[code[0]] = (name, kind)


for _c, _n, _k in (
    (b"(", "MARK", ""), (b".", "STOP", ""), (b"0", "POP", ""), (b"1", "POP_MARK", ""),
    (b"2", "DUP", ""), (b"F", "FLOAT", "floatnl"), (b"I", "INT", "decimalnl_short"),
    (b"J", "BININT", "int4"), (b"K", "BININT1", "uint1"), (b"L", "LONG", "decimalnl_long"),
    (b"M", "BININT2", "uint2"), (b"N", "NONE", ""), (b"P", "PERSID", "stringnl_noescape"),
    (b"Q", "BINPERSID", ""), (b"R", "REDUCE", ""), (b"S", "STRING", "stringnl"),
    (b"T", "BINSTRING", "string4"), (b"U", "SHORT_BINSTRING", "string1"),
    (b"V", "UNICODE", "unicodestringnl"), (b"X", "BINUNICODE", "unicodestring4"),
    (b"a", "APPEND", ""), (b"b", "BUILD", ""), (b"c", "GLOBAL", "stringnl_noescape_pair"),
    (b"d", "DICT", ""), (b"}", "EMPTY_DICT", ""), (b"e", "APPENDS", ""),
    (b"g", "GET", "decimalnl_short"),
    (b"h", "BINGET", "uint1"), (b"i", "INST", "stringnl_noescape_pair"),
    (b"j", "LONG_BINGET", "uint4"), (b"l", "LIST", ""), (b"]", "EMPTY_LIST", ""),
    (b"o", "OBJ", ""), (b"p", "PUT", "decimalnl_short"), (b"q", "BINPUT", "uint1"),
    (b"r", "LONG_BINPUT", "uint4"), (b"s", "SETITEM", ""), (b"t", "TUPLE", ""),
    (b")", "EMPTY_TUPLE", ""), (b"u", "SETITEMS", ""), (b"G", "BINFLOAT", "float8"),
    (b"\x80", "PROTO", "uint1"), (b"\x81", "NEWOBJ", ""), (b"\x82", "EXT1", "uint1"),
    (b"\x83", "EXT2", "uint2"), (b"\x84", "EXT4", "int4"), (b"\x85", "TUPLE1", ""),
    (b"\x86", "TUPLE2", ""), (b"\x87", "TUPLE3", ""), (b"\x88", "NEWTRUE", ""),
    (b"\x89", "NEWFALSE", ""), (b"\x8a", "LONG1", "long1"), (b"\x8b", "LONG4", "long4"),
    (b"B", "BINBYTES", "bytes4"), (b"C", "SHORT_BINBYTES", "bytes1"),
    (b"\x8c", "SHORT_BINUNICODE", "unicodestring1"), (b"\x8d", "BINUNICODE8", "unicodestring8"),
    (b"\x8e", "BINBYTES8", "bytes8"), (b"\x8f", "EMPTY_SET", ""), (b"\x90", "ADDITEMS", ""),
    (b"\x91", "FROZENSET", ""), (b"\x92", "NEWOBJ_EX", ""), (b"\x93", "STACK_GLOBAL", ""),
    (b"\x94", "MEMOIZE", ""), (b"\x95", "FRAME", "uint8"), (b"\x96", "BYTEARRAY8", "bytes8"),
    (b"\x97", "NEXT_BUFFER", ""), (b"\x98", "READONLY_BUFFER", ""),
):  # fmt: skip
    _def(_c, _n, _k)

OPCODE_NAMES = frozenset(name for name, _ in _OPS.values())
MAX_LINE = 1 << 20
"""Text lines (and LONG4 literals) decoded here are shorter; the emulator reads longer ones in
place (``pickle_vm._long_line``), as the unpickler has no limit."""


class OpError(Exception):
    """The stream cannot be decoded at ``offset``."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"{message} at offset {offset:#x}")
        self.offset = offset
        self.reason = message


class Op(NamedTuple):
    """One decoded opcode."""

    name: str
    arg: object
    pos: int
    end: int


def is_opcode(byte: int) -> bool:
    """Whether ``byte`` starts a known opcode."""
    return byte in _OPS


def read_op(data: bytes, pos: int) -> Op:
    """Decode the opcode at ``pos``; raise ``OpError`` if it is unknown or truncated."""
    if pos >= len(data):
        raise OpError(pos, "stream ends without STOP")
    code = data[pos]
    spec = _OPS.get(code)
    if spec is None:
        raise OpError(pos, f"invalid opcode byte {code:#04x}")
    name, kind = spec
    if not kind:
        return Op(name, None, pos, pos + 1)
    if kind == "uint1" and pos + 2 <= len(data):  # fast path: BININT1, BINGET, BINPUT
        return Op(name, data[pos + 1], pos, pos + 2)
    arg, end = _read_arg(data, pos + 1, kind)
    return Op(name, arg, pos, end)


def _need(data: bytes, pos: int, n: int) -> None:
    if n < 0 or pos + n > len(data):
        raise OpError(pos, f"argument of {n} bytes runs past the end of the data")


def _line(data: bytes, pos: int) -> tuple[bytes, int]:
    nl = data.find(b"\n", pos, pos + MAX_LINE)
    if nl < 0:
        raise OpError(pos, "unterminated text argument")
    return data[pos:nl], nl + 1


def _uint(data: bytes, pos: int, n: int) -> tuple[int, int]:
    _need(data, pos, n)
    return int.from_bytes(data[pos : pos + n], "little"), pos + n


def _read_arg(data: bytes, pos: int, kind: str) -> tuple[object, int]:
    match kind:
        case "uint1" | "uint2" | "uint4" | "uint8":
            return _uint(data, pos, {"uint1": 1, "uint2": 2, "uint4": 4, "uint8": 8}[kind])
        case "int4":
            _need(data, pos, 4)
            return int.from_bytes(data[pos : pos + 4], "little", signed=True), pos + 4
        case "float8":
            _need(data, pos, 8)
            return struct.unpack(">d", data[pos : pos + 8])[0], pos + 8
        case "string1" | "bytes1" | "unicodestring1":
            n, pos = _uint(data, pos, 1)
            return _blob(data, pos, n, kind)
        case "string4" | "bytes4" | "unicodestring4":
            n, pos = _uint(data, pos, 4)
            if kind == "string4" and n >= 1 << 31:
                raise OpError(pos, "negative BINSTRING length")
            return _blob(data, pos, n, kind)
        case "bytes8" | "unicodestring8":
            n, pos = _uint(data, pos, 8)
            return _blob(data, pos, n, kind)
        case "long1" | "long4":
            n, pos = _uint(data, pos, 1 if kind == "long1" else 4)
            _need(data, pos, n)
            if n > MAX_LINE:
                # The unpickler converts any length (binary, no digit limit); an int this big
                # is only ever a number, so it is not built (a 1 GiB copy otherwise).
                from mlsvs.scanner.pickle_values import Opaque

                return Opaque(f"integer of {n} bytes"), pos + n
            return int.from_bytes(data[pos : pos + n], "little", signed=True), pos + n
        case "stringnl_noescape":
            raw, pos = _line(data, pos)
            return raw.decode("utf-8", "replace"), pos
        case "stringnl_noescape_pair":
            first, pos = _line(data, pos)
            second, pos = _line(data, pos)
            return (first.decode("utf-8", "replace"), second.decode("utf-8", "replace")), pos
        case "stringnl":
            raw, end = _line(data, pos)
            return _quoted(raw, pos), end
        case "unicodestringnl":
            raw, end = _line(data, pos)
            return raw.decode("raw-unicode-escape", "replace"), end
        case "decimalnl_short" | "decimalnl_long":
            raw, end = _line(data, pos)
            text = raw.strip().rstrip(b"L")
            if kind == "decimalnl_short" and raw in (b"00", b"01"):
                return raw == b"01", end
            try:
                return int(text), end
            except ValueError:
                raise OpError(pos, "malformed decimal argument") from None
        case "floatnl":
            raw, end = _line(data, pos)
            try:
                return float(raw), end
            except ValueError:
                raise OpError(pos, "malformed float argument") from None
        case _:  # pragma: no cover - the table above is closed
            raise OpError(pos, f"unknown argument kind {kind}")


def _blob(data: bytes, pos: int, n: int, kind: str) -> tuple[object, int]:
    _need(data, pos, n)
    raw = data[pos : pos + n]
    if kind.startswith("unicode"):
        try:
            return raw.decode("utf-8", "surrogatepass"), pos + n
        except UnicodeDecodeError:  # the unpickler raises here too: the stream ends
            raise OpError(pos, "invalid UTF-8 in a unicode argument") from None
    if kind.startswith("string"):
        # Python 3 decodes protocol-0/1 strings as ASCII by default; latin-1 keeps every byte.
        return raw.decode("latin-1"), pos + n
    return bytes(raw), pos + n


def _quoted(raw: bytes, pos: int) -> str:
    text = raw.rstrip(b"\r")
    if len(text) >= 2 and text[:1] == text[-1:] and text[:1] in (b"'", b'"'):
        try:
            value = codecs.escape_decode(text[1:-1])[0]
        except ValueError:
            raise OpError(pos, "malformed STRING escape") from None
        return bytes(value).decode("latin-1")
    try:  # tolerate what ast accepts but the quote check missed
        lit = ast.literal_eval(text.decode("latin-1"))
    except (ValueError, SyntaxError):
        raise OpError(pos, "STRING argument is not quoted") from None
    if isinstance(lit, str):
        return lit
    raise OpError(pos, "STRING argument is not a string")
