"""Symbolic values of the emulated pickle machine. Nothing here is ever a live object."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Mark:
    """The MARK sentinel (never visible as a value)."""


MARK = Mark()


@dataclass(frozen=True, slots=True)
class Ref:
    """A global named by GLOBAL/STACK_GLOBAL/INST (``find_class(module, name)``)."""

    module: str
    name: str

    @property
    def dotted(self) -> str:
        """``module.qualname``."""
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True)
class Module:
    """A module object obtained by ``__import__``/``import_module``."""

    name: str


@dataclass(frozen=True, slots=True)
class Attr:
    """``getattr(base, name)`` computed at load time."""

    base: object
    name: str


@dataclass(frozen=True, slots=True)
class AttrGetter:
    """``operator.attrgetter(*names)``."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MethodCaller:
    """``operator.methodcaller(name, *args)``."""

    name: str
    args: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Partial:
    """``functools.partial(func, *args)``."""

    func: object
    args: tuple[object, ...]


@dataclass(slots=True, eq=False)
class Call:
    """The result of a call made while loading (REDUCE, NEWOBJ, INST, OBJ ...)."""

    func: object
    args: object
    op: str
    pos: int
    state: list[object] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class PDict:
    """A dict under construction (keys may be unhashable symbolic values)."""

    items: list[tuple[object, object]] = field(default_factory=list)

    def get(self, key: str) -> object:
        """Last value stored under a constant key, or None."""
        for k, v in reversed(self.items):
            if k == key:
                return v
        return None


@dataclass(slots=True, eq=False)
class PSet:
    """A set or frozenset under construction."""

    items: list[object] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value the emulator does not model (persistent id result, buffer, missing memo)."""

    what: str


MAX_NAME = 4096
"""Longest global/attribute name resolved; longer ones are LONG_NAME events (real qualified
names are under 300 characters)."""

BIG_LITERAL = 1 << 20
"""Bytes literals this long stay in the scanned buffer as a ``Blob`` (never copied whole)."""


@dataclass(frozen=True, slots=True, eq=False)
class Blob:
    """A BINBYTES/BINBYTES8/BYTEARRAY8 argument of ``BIG_LITERAL`` bytes or more, left where it
    is in the scanned buffer (a 2 GiB literal would otherwise cost 2 GiB). It stands for the
    ``bytes`` value everywhere (call-shape kind, messages); the few places that need the bytes
    themselves (a nested loader's payload, the string/bytes helpers) call ``materialize``."""

    source: bytes
    start: int
    length: int

    def materialize(self) -> bytes:
        """The literal's bytes (a copy)."""
        return bytes(self.source[self.start : self.start + self.length])

    def head_repr(self, limit: int) -> str:
        """``repr(self.materialize())[:limit]`` without copying the whole literal: the quote
        ``repr`` picks depends on every byte (double quotes only when there is a ``'`` and no
        ``\"``), the text up to ``limit`` only on the first ``limit`` bytes."""
        end = self.start + self.length
        text = repr(bytes(self.source[self.start : self.start + limit]))
        double = (
            self.source.find(b"'", self.start, end) >= 0
            and self.source.find(b'"', self.start, end) < 0
        )
        body = text[2:-1]
        if text[1] == '"':  # the prefix alone chose double quotes: undo its escaping
            body = body.replace("'", "\\'") if not double else body
        elif double:
            body = body.replace("\\'", "'")
        quote = '"' if double else "'"
        return ("b" + quote + body)[:limit]

    def __repr__(self) -> str:  # the default repr would print the whole scanned buffer
        return f"Blob({self.length} bytes at {self.start}: {self.head_repr(60)}...)"


@dataclass(frozen=True, slots=True, eq=False)
class Text:
    """A BINUNICODE/BINUNICODE8/BINSTRING argument of ``BIG_LITERAL`` bytes or more, left
    undecoded in the scanned buffer (a 1 GiB string would otherwise cost 1-4 GiB). The
    emulator has checked it decodes (the unpickler stops on invalid UTF-8). It stands for the
    ``str`` value in call shapes and messages; the callables that look at strings themselves
    (getattr names, codecs, concatenation, nested loaders) get ``materialize``; a global name
    this long is reported, never resolved."""

    source: bytes
    start: int
    length: int
    """In bytes of ``source``."""
    encoding: str
    """``utf-8`` (BINUNICODE, BINUNICODE8, a long PERSID or global name; decoded with
    ``surrogatepass``), ``latin-1`` (BINSTRING), ``raw-unicode-escape`` (a long protocol-0
    UNICODE line, undecodable escapes replaced) or ``string-escape`` (a long protocol-0
    STRING body: bytes escapes, then latin-1)."""

    def materialize(self) -> str:
        """The decoded string (a copy)."""
        return _decode(bytes(self.source[self.start : self.start + self.length]), self.encoding)

    def head(self, chars: int) -> str:
        """The first ``chars`` characters (or fewer), decoding only that much."""
        import codecs

        # An escape spells one character in up to 10 bytes (\U0010ffff); UTF-8 in up to 4.
        per_char = 4 if self.encoding in ("utf-8", "latin-1") else 10
        raw = bytes(self.source[self.start : self.start + min(self.length, per_char * chars)])
        if per_char == 10:  # a cut escape at the end only spoils characters past ``chars``
            return _decode(raw, self.encoding, partial=True)[:chars]
        decoder = codecs.getincrementaldecoder(self.encoding)("surrogatepass")
        return decoder.decode(raw, final=False)[:chars]

    def head_repr(self, limit: int) -> str:
        """``repr(self.materialize())[:limit]`` decoding only the first ``limit`` characters
        (the quote ``repr`` picks depends on the whole string: quotes are ASCII, so the
        encoded bytes are searched)."""
        end = self.start + self.length
        text = repr(self.head(limit))
        double = (
            self.source.find(b"'", self.start, end) >= 0
            and self.source.find(b'"', self.start, end) < 0
        )
        body = text[1:-1]
        if text[0] == '"':
            body = body.replace("'", "\\'") if not double else body
        elif double:
            body = body.replace("\\'", "'")
        quote = '"' if double else "'"
        return (quote + body)[:limit]

    def __repr__(self) -> str:
        return f"Text({self.length} bytes at {self.start}: {self.head_repr(60)}...)"


def _decode(raw: bytes, encoding: str, *, partial: bool = False) -> str:
    if encoding == "string-escape":
        import codecs

        return bytes(codecs.escape_decode(raw, "ignore" if partial else "strict")[0]).decode(
            "latin-1"
        )
    if encoding == "raw-unicode-escape":
        return raw.decode(encoding, "replace")
    return raw.decode(encoding, "surrogatepass")


@enum.unique
class EventKind(enum.StrEnum):
    """What the emulator reports to the policy layer."""

    IMPORT = "import"
    """A global was resolved with find_class (imports its module)."""
    REACH = "reach"
    """A callable was reached indirectly (getattr, attrgetter, partial, resolve_name ...)."""
    DYNAMIC = "dynamic"
    """STACK_GLOBAL/INST with operands that are not constant strings."""
    EXT = "ext"
    """EXT1/EXT2/EXT4 extension code."""
    MUTATE = "mutate"
    """BUILD applied to a class, function or module."""
    NESTED = "nested"
    """A nested loader call (pickle.loads, _load_from_bytes ...) with its payload."""
    PERSID = "persid"
    """A persistent id (torch storages)."""
    CALL = "call"
    """A call of a named callable, with the argument signature (checked against call shapes)."""
    FILE_REF = "file_ref"
    """joblib's legacy array wrapper: the loader reads the array from the file named in
    ``value`` with numpy.load(allow_pickle=True)."""
    LONG_NAME = "long_name"
    """A global or attribute name longer than ``MAX_NAME`` (no library writes one): the
    unpickler resolves it part by part, so it may reach any callable; never resolved here."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One observation, with the opcode offset inside the stream's buffer."""

    kind: EventKind
    pos: int
    name: str = ""
    via: str = ""
    data: bytes | None = None
    value: object = None


def dotted(value: object, depth: int = 0) -> str | None:
    """The dotted name a value stands for, if it is a (derived) global."""
    if depth > 32:
        return None
    match value:
        case Ref():
            return value.dotted
        case Module():
            return value.name
        case Attr():
            base = dotted(value.base, depth + 1)
            return None if base is None else f"{base}.{value.name}"
        case _:
            return None


def describe(value: object, depth: int = 0) -> str:
    """Short, bounded description of a value for messages."""
    if depth > 4:
        return "..."
    name = dotted(value)
    if name is not None:
        return name
    match value:
        case str() | bytes() | int() | float() | bool() | None:
            text = repr(value)
            return text if len(text) <= 80 else text[:77] + "..."
        case Blob() | Text():  # always longer than 80 characters as a repr
            return value.head_repr(77) + "..."
        case tuple():
            return "(" + ", ".join(describe(v, depth + 1) for v in value[:6]) + ")"
        case Call():
            return f"{describe(value.func, depth + 1)}(...)"
        case Attr():
            return f"getattr({describe(value.base, depth + 1)}, {value.name!r})"
        case _:
            return type(value).__name__


def long_name(base: object, name: object, pos: int, via: str) -> Event:
    """The LONG_NAME event for ``base.name`` (a module or object and a name, either of which
    may be a ``Text``): the heads of both and the total length, nothing decoded whole."""

    def head(value: object) -> tuple[str, int]:
        if isinstance(value, Text):
            return value.head(100), value.length
        if isinstance(value, str):
            return value[:100], len(value)
        return (dotted(value) or describe(value))[:100], 0

    (b, nb), (n, nn) = head(base), head(name)
    return Event(kind=EventKind.LONG_NAME, pos=pos, name=f"{b}.{n}", via=via, value=(b, nb + nn))
