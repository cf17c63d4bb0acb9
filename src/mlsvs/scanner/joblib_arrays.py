"""Size of the raw array data joblib writes after a ``NumpyArrayWrapper`` record.

joblib's unpickler reads ``prod(shape) * itemsize`` bytes (plus an alignment pad) straight from
the file after the wrapper's BUILD, or a nested pickle when the dtype holds objects. The
emulator needs the exact size to find the next opcode; the dtype is reconstructed from the
symbolic ``numpy.dtype(...)`` call and its BUILD state, never by importing numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlsvs.scanner.pickle_values import Call, PDict, dotted

_DTYPE = re.compile(r"^[<>|=]?([?bBhHiIlLqQpPefdgFDGSUVOMmcua])(\d*)")
_FIXED = {
    "?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 8, "L": 8, "q": 8,
    "Q": 8, "p": 8, "P": 8, "e": 2, "f": 4, "d": 8, "g": 16, "F": 8, "D": 16, "G": 32,
    "M": 8, "m": 8, "O": 8, "c": 1,
}  # fmt: skip
_MAX_BYTES = 1 << 62
_DTYPE_CTORS = frozenset({"numpy.dtype", "numpy.core.multiarray.dtype"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ArraySpan:
    """How joblib lays out one array after its wrapper record."""

    nbytes: int
    nested_pickle: bool
    aligned: bool


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
    alignment = state.get("numpy_array_alignment_bytes")
    return ArraySpan(
        nbytes=count * itemsize,
        nested_pickle=has_object,
        aligned=isinstance(alignment, int) and not isinstance(alignment, bool),
    )


def _itemsize(dtype: object) -> tuple[int, bool] | None:
    """(itemsize, holds objects) of a symbolic ``numpy.dtype(spec, align, copy)`` call."""
    if not isinstance(dtype, Call) or dotted(dtype.func) not in _DTYPE_CTORS:
        return None
    args = dtype.args if isinstance(dtype.args, tuple) else ()
    if not args or not isinstance(args[0], str):
        return None
    match = _DTYPE.match(args[0])
    if match is None:
        return None
    kind, digits = match.group(1), match.group(2)
    state = dtype.state[-1] if dtype.state else None
    elsize = -1
    flags = 0
    if isinstance(state, tuple) and len(state) >= 8:
        elsize = state[5] if isinstance(state[5], int) else -1
        flags = state[7] if isinstance(state[7], int) else 0
    has_object = kind == "O" or bool(flags & 1)
    if elsize > 0:
        return elsize, has_object
    if digits:
        size = int(digits)
        return (size * 4 if kind == "U" else size), has_object
    fixed = _FIXED.get(kind)
    return None if fixed is None else (fixed, has_object)
