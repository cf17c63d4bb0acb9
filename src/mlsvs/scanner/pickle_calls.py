"""What a call does inside the emulated pickle machine.

Only the few callables that *name or fetch other callables* (getattr, attrgetter, partial,
``__import__``, ``pkgutil.resolve_name`` ...) or that *compute strings/bytes* (codecs, base64)
are modelled, so that indirection is resolved to the real target. Everything else returns an
opaque ``Call``. Nothing is executed.
"""

from __future__ import annotations

import base64
import binascii
import codecs
from typing import TYPE_CHECKING

from mlsvs.scanner.pickle_shapes import invoked_call, signature
from mlsvs.scanner.pickle_values import (
    MAX_NAME,
    Attr,
    AttrGetter,
    Blob,
    Call,
    Event,
    EventKind,
    MethodCaller,
    Module,
    Partial,
    Ref,
    Text,
    describe,
    dotted,
    long_name,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_GETATTR = frozenset({"builtins.getattr", "__builtin__.getattr"})
_ATTRGETTER = frozenset({"operator.attrgetter", "_operator.attrgetter"})
_METHODCALLER = frozenset({"operator.methodcaller", "_operator.methodcaller"})
_PARTIAL = frozenset({"functools.partial", "_functools.partial"})
_IMPORT = frozenset(
    {"builtins.__import__", "__builtin__.__import__", "importlib.import_module",
     "importlib.__import__", "importlib._bootstrap._gcd_import"}
)  # fmt: skip
_RESOLVE = frozenset({"pkgutil.resolve_name"})
_DECODE = frozenset({"_codecs.decode", "codecs.decode", "_codecs.encode", "codecs.encode"})
_B64 = frozenset(
    {"base64.b64decode", "base64.standard_b64decode", "base64.urlsafe_b64decode",
     "base64.b32decode", "base64.b16decode", "base64.a85decode", "base64.b85decode",
     "binascii.a2b_base64", "binascii.unhexlify", "binascii.a2b_hex", "builtins.bytes.fromhex"}
)  # fmt: skip
_CONCAT = frozenset(
    {"operator.add", "_operator.add", "operator.concat", "_operator.concat",
     "builtins.str.__add__", "builtins.bytes.__add__", "builtins.str.join", "builtins.bytes.join"}
)  # fmt: skip
NESTED_LOADERS = frozenset(
    {"pickle.loads", "_pickle.loads", "pickle._loads", "dill.loads", "dill._dill.loads",
     "cloudpickle.loads", "torch.storage._load_from_bytes",
     "torch.serialization._load_from_bytes", "joblib.numpy_pickle.load",
     "numpy.loads", "numpy.core.numeric.loads"}
)  # fmt: skip
_MAX_DEPTH = 16
# Codecs that cannot expand their input much (no zlib/bz2: those would be decompression bombs).
_SAFE_CODECS = frozenset(
    {"rot13", "rot_13", "hex", "hex_codec", "base64", "base64_codec", "utf_8", "utf8", "latin_1",
     "latin1", "ascii", "unicode_escape", "raw_unicode_escape", "uu", "uu_codec"}
)  # fmt: skip


CallsSeen = set[tuple[str, tuple[str, ...]]]
"""(callable, argument signature) pairs already reported in this stream."""


def apply(
    func: object,
    args: object,
    op: str,
    pos: int,
    events: list[Event],
    seen: CallsSeen | None = None,
) -> object:
    """Result of calling ``func(*args)``; appends what the call reveals to ``events``."""
    return _apply(func, args, op, pos, events, 0, set() if seen is None else seen)


def _apply(
    func: object,
    args: object,
    op: str,
    pos: int,
    events: list[Event],
    depth: int,
    seen: CallsSeen,
) -> object:
    argv = args if isinstance(args, tuple) else ()
    if depth > _MAX_DEPTH:
        return Call(func, args, op, pos)
    if type(func) is Ref:  # the common case: none of the patterns below is a Ref
        ref_name = func.dotted
        _record_call(ref_name, args, op, pos, events, seen)
        return _after_record(ref_name, func, args, argv, op, pos, events, depth, seen)
    match func:
        case AttrGetter():
            if len(argv) != 1:
                return Call(func, args, op, pos)
            value: object = argv[0]
            for part in ".".join(func.names).split("."):
                value = Attr(value, part)
            _reach(value, pos, "operator.attrgetter", events)
            return value
        case MethodCaller():
            if len(argv) != 1:
                return Call(func, args, op, pos)
            method = Attr(argv[0], func.name)
            _reach(method, pos, "operator.methodcaller", events)
            return _apply(method, func.args, op, pos, events, depth + 1, seen)
        case Partial():
            _reach(func.func, pos, "functools.partial", events)
            return _apply(func.func, func.args + argv, op, pos, events, depth + 1, seen)
        case Attr() | Module():
            if dotted(func) is None:
                events.append(Event(kind=EventKind.DYNAMIC, pos=pos, name=describe(func), via=op))
                return Call(func, args, op, pos)
            _reach(func, pos, "indirect call", events)
        case Call():
            # Calling what another call returned: the callable only exists at load time.
            events.append(
                Event(kind=EventKind.DYNAMIC, pos=pos, name=f"{describe(func)}(...)", via=op)
            )
            return Call(func, args, op, pos)
    name = dotted(func)
    if name is None:
        return Call(func, args, op, pos)
    _record_call(name, args, op, pos, events, seen)
    return _after_record(name, func, args, argv, op, pos, events, depth, seen)


def _after_record(
    name: str,
    func: object,
    args: object,
    argv: tuple[object, ...],
    op: str,
    pos: int,
    events: list[Event],
    depth: int,
    seen: CallsSeen,
) -> object:
    invoked = invoked_call(name, argv)
    if invoked is not None:
        # An allowlisted helper that calls one of its arguments: follow the inner call.
        inner, inner_args = invoked
        _reach(inner, pos, f"{name} (calls its argument)", events)
        _apply(inner, inner_args, op, pos, events, depth + 1, seen)
    return _known(name, func, args, argv, op, pos, events)


def _record_call(
    name: str, args: object, op: str, pos: int, events: list[Event], seen: CallsSeen
) -> None:
    sig = signature(args)
    if (name, sig) not in seen:
        seen.add((name, sig))
        events.append(Event(kind=EventKind.CALL, pos=pos, name=name, via=op, value=sig))


def _known(
    name: str,
    func: object,
    args: object,
    argv: tuple[object, ...],
    op: str,
    pos: int,
    events: list[Event],
) -> object:
    if name not in _SPECIAL:  # an ordinary callable: its result is only a call
        return Call(func, args, op, pos)
    names = _names(name, argv)
    if any(_too_long(a) for a in names):
        base = argv[0] if name in _GETATTR else "?"
        events.append(long_name(base, next(a for a in names if _too_long(a)), pos, name))
        return Call(func, args, op, pos)
    if any(isinstance(a, Blob | Text) for a in argv):  # these look at the value themselves
        argv = tuple(a.materialize() if isinstance(a, Blob | Text) else a for a in argv)
    if name in _GETATTR:
        if len(argv) >= 2 and isinstance(argv[1], str) and dotted(argv[0]) is not None:
            attr = Attr(argv[0], argv[1])
            _reach(attr, pos, "builtins.getattr", events)
            return attr
        # an attribute of something computed at load time (or a computed name): unknowable
        what = f"getattr({describe(argv[0]) if argv else '?'}, {describe(argv[1:2])})"
        events.append(Event(kind=EventKind.DYNAMIC, pos=pos, name=what, via=op))
        return Call(func, args, op, pos)
    if name in _ATTRGETTER and argv and all(isinstance(a, str) for a in argv):
        return AttrGetter(tuple(str(a) for a in argv))
    if name in _METHODCALLER and argv and isinstance(argv[0], str):
        return MethodCaller(argv[0], argv[1:])
    if name in _PARTIAL and argv:
        return Partial(argv[0], argv[1:])
    if name in _IMPORT and argv and isinstance(argv[0], str):
        module = Module(argv[0])
        _reach(module, pos, name, events)
        return module
    if name in _RESOLVE and argv and isinstance(argv[0], str):
        target = _resolve_name(argv[0])
        if target is not None:
            events.append(Event(kind=EventKind.IMPORT, pos=pos, name=target.dotted, via=name))
            return target
    if name in NESTED_LOADERS:
        payload = argv[0] if argv and isinstance(argv[0], bytes | bytearray) else None
        events.append(
            Event(
                kind=EventKind.NESTED,
                pos=pos,
                name=name,
                data=None if payload is None else bytes(payload),
            )
        )
    computed = _compute(name, argv)
    if computed is not None:
        return computed
    return Call(func, args, op, pos)


_SPECIAL = (
    _GETATTR | _ATTRGETTER | _METHODCALLER | _PARTIAL | _IMPORT | _RESOLVE | NESTED_LOADERS
    | _DECODE | _B64 | _CONCAT
)  # fmt: skip
"""Every callable ``_known`` does more for than returning a ``Call``."""


def _names(name: str, argv: tuple[object, ...]) -> tuple[object, ...]:
    """The arguments of ``name`` that are names the loader resolves."""
    if name in _GETATTR:
        return argv[1:2]
    if name in _ATTRGETTER:
        return argv
    if name in _METHODCALLER or name in _IMPORT or name in _RESOLVE:
        return argv[:1]
    return ()


def _too_long(value: object) -> bool:
    return isinstance(value, Text) or (isinstance(value, str) and len(value) > MAX_NAME)


def _reach(value: object, pos: int, via: str, events: list[Event]) -> None:
    name = dotted(value)
    if name is not None:
        events.append(Event(kind=EventKind.REACH, pos=pos, name=name, via=via))


def _resolve_name(text: str) -> Ref | None:
    if ":" in text:
        module, _, qual = text.partition(":")
        return Ref(module, qual) if module and qual else None
    module, _, qual = text.rpartition(".")
    return Ref(module, qual) if module and qual else None


def _compute(name: str, argv: tuple[object, ...]) -> str | bytes | None:
    """Evaluate the pure string/bytes helpers attackers use to hide names and payloads."""
    try:
        if (
            name in _DECODE
            and len(argv) >= 2
            and isinstance(argv[1], str)
            and argv[1].lower().replace("-", "_") in _SAFE_CODECS
        ):
            out: object = _codec(name, argv[0], argv[1])
            return out if isinstance(out, str | bytes) else None
        if name in _B64 and argv and isinstance(argv[0], str | bytes):
            return _b64(name, argv[0])
        if name in _CONCAT and len(argv) == 2:
            a, b = argv
            if name.endswith("join") and isinstance(a, str | bytes) and isinstance(b, list):
                return _join(a, b)
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, bytes) and isinstance(b, bytes):
                return a + b
    except (ValueError, LookupError, TypeError, binascii.Error):
        return None
    return None


def _codec(name: str, src: object, codec: str) -> object:
    if "decode" in name:
        return codecs.decode(src, codec)  # type: ignore[call-overload]
    return codecs.encode(src, codec)  # type: ignore[call-overload]


def _join(sep: str | bytes, parts: list[object]) -> str | bytes | None:
    if isinstance(sep, str) and all(isinstance(p, str) for p in parts):
        return sep.join(str(p) for p in parts)
    if isinstance(sep, bytes) and all(isinstance(p, bytes) for p in parts):
        return sep.join(p for p in parts if isinstance(p, bytes))
    return None


def _fromhex(raw: bytes) -> bytes:
    return bytes.fromhex(raw.decode("latin-1"))


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "b64decode": base64.b64decode,
    "standard_b64decode": base64.standard_b64decode,
    "urlsafe_b64decode": base64.urlsafe_b64decode,
    "b32decode": base64.b32decode,
    "b16decode": base64.b16decode,
    "a85decode": base64.a85decode,
    "b85decode": base64.b85decode,
    "a2b_base64": binascii.a2b_base64,
    "unhexlify": binascii.unhexlify,
    "a2b_hex": binascii.a2b_hex,
    "fromhex": _fromhex,
}


def _b64(name: str, src: str | bytes) -> bytes | None:
    raw = src.encode("latin-1") if isinstance(src, str) else src
    decoder = _DECODERS.get(name.rsplit(".", 1)[-1])
    return None if decoder is None else bytes(decoder(raw))
