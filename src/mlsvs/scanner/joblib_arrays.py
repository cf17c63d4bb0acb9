"""Size of the raw array data joblib writes after a ``NumpyArrayWrapper`` record.

joblib's unpickler reads ``prod(shape) * itemsize`` bytes (plus an alignment pad) straight from
the file after the wrapper's BUILD, or a nested pickle when the dtype holds objects. The
emulator needs the exact size to find the next opcode; the dtype is reconstructed from the
symbolic ``numpy.dtype(...)`` call and its BUILD state, never by importing numpy.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mlsvs.scanner.pickle_values import Call, PDict, dotted


class WrapperInit(NamedTuple):
    """What a wrapper class's ``__init__`` sets: a REDUCE/INST/OBJ call runs it before any
    BUILD (NEWOBJ only runs ``__new__``, which sets nothing)."""

    parameters: tuple[str, ...]
    required: int
    defaults: tuple[tuple[str, object], ...] = ()


NUMPY_ARRAY_WRAPPER = WrapperInit(
    parameters=(
        "subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes",
    ),
    required=4,
    defaults=(("allow_mmap", False), ("numpy_array_alignment_bytes", 16)),
)  # fmt: skip
ND_ARRAY_WRAPPER = WrapperInit(
    parameters=("filename", "subclass", "allow_mmap"), required=2, defaults=(("allow_mmap", True),)
)
"""joblib < 0.10: ``NDArrayWrapper(filename, subclass, allow_mmap=True)``."""

_DTYPE = re.compile(r"^[<>|=]?([?bBhHiIlLqQpPefdgFDGSUVOMmcua])(\d*)(\[\w+\])?$")
# numpy's single-character codes on a 64-bit platform (what dtype(code).itemsize gives).
_FIXED = {
    "?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 8, "L": 8, "q": 8,
    "Q": 8, "p": 8, "P": 8, "e": 2, "f": 4, "d": 8, "g": 16, "F": 8, "D": 16, "G": 32,
    "M": 8, "m": 8, "O": 8, "c": 1, "S": 0, "U": 0, "V": 0, "a": 0,
}  # fmt: skip
# Sized codes: the byte widths numpy accepts after each kind character.
_SIZED = {
    "b": {1}, "i": {1, 2, 4, 8}, "u": {1, 2, 4, 8}, "f": {2, 4, 8, 16}, "c": {8, 16, 32},
    "M": {8}, "m": {8}, "O": {8},
}  # fmt: skip
_FLEXIBLE = frozenset("SUVa")
_NAMED = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
    "int64": 8, "uint64": 8, "float16": 2, "float32": 4, "float64": 8, "complex64": 8,
    "complex128": 16, "longdouble": 16, "clongdouble": 32, "half": 2, "single": 4,
    "double": 8, "float": 8, "int": 8, "complex": 16, "object": 8, "byte": 1, "ubyte": 1,
    "short": 2, "ushort": 2, "intc": 4, "uintc": 4, "intp": 8, "uintp": 8, "longlong": 8,
    "ulonglong": 8, "csingle": 8, "cdouble": 16, "datetime64": 8, "timedelta64": 8,
}  # fmt: skip
_MAX_BYTES = 1 << 62
_DTYPE_CTORS = frozenset(
    {"numpy.dtype", "numpy.core.multiarray.dtype", "numpy._core.multiarray.dtype"}
)


class ArraySpan(NamedTuple):
    """How joblib lays out one array after its wrapper record."""

    nbytes: int
    nested_pickle: bool
    aligned: bool


def wrapper_attributes(wrapper: Call, init: WrapperInit = NUMPY_ARRAY_WRAPPER) -> PDict | None:
    """The wrapper's ``__dict__`` after every BUILD so far, as ``pickle.load_build`` leaves it.

    Constructor arguments first (when the class was called), then each BUILD state in order:
    a dict updates the instance dict, a ``(dict, slotstate)`` pair updates it and then sets
    attributes. Anything else makes the real unpickler fail: None (not understood).
    """
    merged = PDict()
    if wrapper.op in ("REDUCE", "INST", "OBJ"):
        args = wrapper.args
        if not isinstance(args, tuple) or not init.required <= len(args) <= len(init.parameters):
            return None
        merged.items.extend(zip(init.parameters, args, strict=False))
        merged.items.extend(
            (name, default)
            for name, default in init.defaults
            if name not in init.parameters[: len(args)]
        )
    elif wrapper.op not in ("NEWOBJ", "NEWOBJ_EX"):
        return None
    for state in wrapper.state:
        parts = state if isinstance(state, tuple) and len(state) == 2 else (state, None)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, PDict):
                return None
            merged.items.extend(part.items)
    return merged


def array_span(state: object) -> ArraySpan | None:
    """Compute the span from the wrapper's state dict, or None when it is not understood."""
    if not isinstance(state, PDict):
        return None
    shape = state.get("shape")
    dtype = state.get("dtype")
    if not isinstance(shape, tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        return None
    described = _itemsize(dtype)
    if described is None:
        return None
    itemsize, has_object = described
    count = 1
    for d in shape:
        count *= int(str(d))
        if count > _MAX_BYTES:
            return None
    # joblib reads a padding byte whenever the attribute exists and is not None.
    aligned = state.get("numpy_array_alignment_bytes") is not None
    return ArraySpan(nbytes=count * itemsize, nested_pickle=has_object, aligned=aligned)


def _itemsize(dtype: object) -> tuple[int, bool] | None:
    """(itemsize, holds objects) exactly as ``numpy.dtype(spec, align, copy)`` + its BUILD.

    Mirrors numpy's ``dtype.__setstate__``: the state's element size only applies to flexible
    kinds (S, U, V); the object flag comes from the state's flags (8- and 9-tuples) or, for
    7-tuples, from the fields (not modelled: fail closed). Anything else is not understood.
    """
    if not isinstance(dtype, Call) or dotted(dtype.func) not in _DTYPE_CTORS:
        return None
    args = dtype.args if isinstance(dtype.args, tuple) else ()
    if not args or not isinstance(args[0], str):
        return None
    base = _spec_size(args[0])
    if base is None:
        return None
    size, kind = base
    has_object = kind == "O"
    if len(dtype.state) > 1:
        return None  # a second BUILD on a dtype: not modelled
    if dtype.state:
        state = dtype.state[0]
        if not isinstance(state, tuple) or len(state) not in (7, 8, 9):
            return None
        elsize = state[5]
        if not isinstance(elsize, int) or isinstance(elsize, bool):
            return None
        if len(state) == 7:
            if state[4] is not None:
                return None
            has_object = kind == "O"
        else:
            flags = state[7]
            if not isinstance(flags, int) or isinstance(flags, bool):
                return None
            has_object = bool(flags & 1)
        if kind in _FLEXIBLE:
            size = elsize
    if size <= 0:
        return None
    return size, has_object


def _spec_size(spec: str) -> tuple[int, str] | None:
    """Item size and kind character of a dtype string numpy accepts (64-bit platform)."""
    if spec in _NAMED:
        return _NAMED[spec], ("O" if spec == "object" else "?")
    match = _DTYPE.match(spec)
    if match is None:
        return None
    kind, digits, unit = match.group(1), match.group(2), match.group(3)
    if unit and kind not in "Mm":
        return None
    if not digits:
        fixed = _FIXED.get(kind)
        # 'c' alone is the flexible S1, not complex.
        return None if fixed is None else (fixed, "S" if kind == "c" else kind)
    width = int(digits)
    if kind in _FLEXIBLE:
        return (width * 4 if kind == "U" else width), kind
    allowed = _SIZED.get(kind)
    if allowed is None or width not in allowed:
        return None
    return width, kind
