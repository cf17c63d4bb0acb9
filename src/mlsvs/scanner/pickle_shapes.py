"""Call shapes: which kind of value each argument of an allowlisted callable may hold.

A name on the allowlist is not enough: an allowlisted rebuild helper handed another callable
or a payload is a gadget (``_rebuild_from_type_v2(_load_from_bytes, T, (payload,), {})``,
``__generator_ctor(payload, _load_from_bytes)``). Every call the emulator sees is reduced to a
*signature* - one coarse kind per positional argument - and compared with the shapes real
libraries produce (recorded per release in the allowlist data file). Positions the callee
*calls* (``INVOKES``) only accept the exact callables seen there in ordinary files.
"""

from __future__ import annotations

from typing import NamedTuple

from mlsvs.scanner.pickle_names import normalize
from mlsvs.scanner.pickle_values import (
    Attr,
    Blob,
    Call,
    Module,
    Opaque,
    PDict,
    PSet,
    Ref,
    Text,
    dotted,
)

MAX_POSITIONS = 16
"""Arguments beyond this are summarised (a huge tuple costs one signature entry)."""
NOT_A_TUPLE = "args:not-a-tuple"


class Invoke(NamedTuple):
    """The callee calls argument ``func`` with the arguments at ``args`` (None: no arguments).

    ``spread``: ``args`` names one position holding the whole argument tuple (``func(*args)``).
    """

    func: int
    args: tuple[int, ...] | None = None
    spread: bool = False


# What allowlisted callables do with their arguments (read from each library's source).
INVOKES: dict[str, Invoke] = {
    "torch._tensor._rebuild_from_type": Invoke(0, (2,), spread=True),
    "torch._tensor._rebuild_from_type_v2": Invoke(0, (2,), spread=True),
    "numpy.random._pickle.__generator_ctor": Invoke(1, (0,)),
    "numpy.random._pickle.__randomstate_ctor": Invoke(1, (0,)),
    "numpy.random._pickle.__bit_generator_ctor": Invoke(0, None),
    "copyreg._reconstructor": Invoke(1, (2,)),
}


def kind(value: object) -> str:
    """Coarse kind of one argument; references keep their dotted name."""
    cls = type(value)
    plain = _PLAIN_KINDS.get(cls)
    if plain is not None:  # exact built-in type: the same answer as the match below
        return plain
    if isinstance(value, Opaque):
        return "persistent" if value.what == "persistent" else "opaque"
    if isinstance(value, Call):
        return f"call:{dotted(value.func) or '?'}"
    match value:
        case None:
            return "none"
        case bool():
            return "bool"
        case int():
            return "int"
        case float():
            return "float"
        case str():
            return "str"
        case bytes() | bytearray():
            return "bytes"
        case tuple():
            return "tuple"
        case list():
            return "list"
        case PDict():
            return "dict"
        case PSet():
            return "set"
        case Ref():
            return f"ref:{normalize(value.dotted)}"
        case Attr() | Module():
            return f"ref:{normalize(dotted(value) or '?')}"
        case Call():
            return f"call:{dotted(value.func) or '?'}"
        case Opaque():
            return "persistent" if value.what == "persistent" else "opaque"
        case _:
            return "other"


_PLAIN_KINDS: dict[type, str] = {
    type(None): "none", bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes",
    bytearray: "bytes", tuple: "tuple", list: "list", PDict: "dict", PSet: "set", Blob: "bytes",
    Text: "str",
}  # fmt: skip


def signature(args: object) -> tuple[str, ...]:
    """One kind per positional argument (at most ``MAX_POSITIONS`` + an arity marker)."""
    if not isinstance(args, tuple):
        return (NOT_A_TUPLE, kind(args))
    head = tuple(map(kind, args[:MAX_POSITIONS]))
    if len(args) > MAX_POSITIONS:
        return (*head, f"arity:{len(args)}")
    return head


class CallShape(NamedTuple):
    """Every signature ordinary files use for one callable (union over library releases)."""

    arities: frozenset[int]
    positions: tuple[frozenset[str], ...]

    @staticmethod
    def from_json(data: object) -> CallShape | None:
        """``{"arity": [..], "args": [[kinds of position 0], ...]}``; None when absent."""
        if not isinstance(data, dict):
            return None
        arity = data.get("arity", [])
        args = data.get("args", [])
        if not isinstance(arity, list) or not isinstance(args, list):
            return None
        return CallShape(
            arities=frozenset(int(a) for a in arity),
            positions=tuple(frozenset(str(k) for k in p) for p in args if isinstance(p, list)),
        )


class Mismatch(NamedTuple):
    """Why a call does not fit its shape."""

    position: int
    """Offending argument (-1: the argument count or the argument tuple itself)."""
    got: str
    invoked: bool
    """The callee calls the offending argument (an execution path)."""


def _generic(k: str) -> str:
    return k.split(":", 1)[0] if k.startswith(("ref:", "call:")) else k


def mismatch(name: str, shape: CallShape, sig: tuple[str, ...]) -> Mismatch | None:
    """First argument of ``sig`` that ordinary files never put there; None if it fits."""
    invoke = INVOKES.get(name)
    if sig and sig[0] == NOT_A_TUPLE:
        return Mismatch(-1, sig[1], invoked=False)
    arity = len(sig) if not (sig and sig[-1].startswith("arity:")) else int(sig[-1][6:])
    if arity not in shape.arities:
        return Mismatch(-1, f"{arity} argument(s)", invoked=False)
    if invoke is not None and invoke.func < len(sig):  # the execution path is reported first
        k = sig[invoke.func]
        allowed = shape.positions[invoke.func] if invoke.func < len(shape.positions) else ()
        if k not in allowed:
            return Mismatch(invoke.func, k, invoked=True)
    for i, k in enumerate(sig[:MAX_POSITIONS]):
        if k.startswith("arity:"):
            break
        allowed = shape.positions[i] if i < len(shape.positions) else frozenset()
        if invoke is not None and i == invoke.func:
            continue
        if k in allowed or _generic(k) in {_generic(a) for a in allowed}:
            continue
        return Mismatch(i, k, invoked=False)
    return None


def invoked_call(name: str, argv: tuple[object, ...]) -> tuple[object, tuple[object, ...]] | None:
    """(callee, its arguments) when ``name`` calls one of its arguments; None otherwise."""
    invoke = INVOKES.get(name)
    if invoke is None or invoke.func >= len(argv):
        return None
    func = argv[invoke.func]
    if invoke.args is None:
        return func, ()
    if invoke.spread:
        inner = argv[invoke.args[0]] if invoke.args[0] < len(argv) else ()
        return func, inner if isinstance(inner, tuple) else ()
    return func, tuple(argv[i] if i < len(argv) else Opaque("default") for i in invoke.args)
