"""joblib's array byte length, modelled without numpy, agrees with real numpy dtypes.

joblib reads ``prod(shape) * dtype.itemsize`` raw bytes after a ``NumpyArrayWrapper``; if the
scanner computed a different length it would resume emulation inside the array data and miss
the opcodes the real loader runs next. Every case here is checked against ``numpy.dtype``
rebuilt exactly as the unpickler does (``dtype(spec, align, copy)`` then ``__setstate__``).
"""

from __future__ import annotations

import pytest

from mlsvs.scanner.joblib_arrays import _itemsize
from mlsvs.scanner.pickle_values import Call, Ref

np = pytest.importorskip("numpy")

SPECS = [
    "f8", "f4", "f2", "f16", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8",
    "c16", "c32", "O8", "M8", "m8", "M8[ns]", "S5", "U5", "V12", "S0", "U0", "V0",
    "?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "p", "P", "e", "f", "d", "g",
    "F", "D", "G", "O", "c", "int64", "float64", "float32", "int", "float", "double",
    "bool", "object", "uint8", "complex", "<f8", ">i4", "|u1", "=i2", "<U7",
    # rejected by numpy or by the model (must never yield a length numpy disagrees with)
    "u", "i3", "f3", "O4", "int128", "i4,f8", "(2,)f4", "3f4", "Float64", "f8junk",
]  # fmt: skip
STATES: list[tuple[object, ...] | None] = [
    None,
    (3, "<", None, None, None, -1, -1, 0),
    (3, "<", None, None, None, 4, 4, 0),
    (3, "<", None, None, None, 20, 4, 8),
    (3, "|", None, None, None, 7, 1, 0),
    (3, "|", None, None, None, 3, 1, 1),
    (3, "|", None, None, None, 8, 1, 63),
    (4, "|", None, None, None, 16, 1, 0, None),
    (2, "|", None, None, None, 8, 1),
    (3, "|", None, None, None, 0, 1, 0),
    (3, "|", None, None, None, -5, 1, 0),
    (3, "|"),
]


def _numpy(spec: str, state: tuple[object, ...] | None) -> tuple[int, bool] | None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dtype = np.dtype(spec, False, True)
            if state is not None:
                dtype.__setstate__(state)
        except (TypeError, ValueError):
            return None
    return dtype.itemsize, bool(dtype.hasobject)


@pytest.mark.parametrize("spec", SPECS)
def test_itemsize_matches_numpy(spec: str) -> None:
    # numpy crashes (segfault) on datetime states without metadata: compare those bare only.
    states = [None] if spec.lstrip("<>|=")[:1] in "Mm" or "datetime" in spec else STATES
    for state in states:
        call = Call(func=Ref("numpy", "dtype"), args=(spec, False, True), op="REDUCE", pos=0)
        if state is not None:
            call.state.append(state)
        ours = _itemsize(call)
        if ours is None:
            continue  # not understood: the emulator fails closed (malformed stream)
        assert ours == _numpy(spec, state), (spec, state)


def test_common_specs_are_understood() -> None:
    for spec in ("f8", "int64", "float64", "U5", "V12", "b1", "O8"):
        call = Call(func=Ref("numpy", "dtype"), args=(spec, False, True), op="REDUCE", pos=0)
        assert _itemsize(call) is not None, spec
