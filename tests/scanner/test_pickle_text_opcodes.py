"""Protocol-0/1 text opcodes decoded inline by the emulator's hot loop (issue 11, speed).

The inline paths (UNICODE, FLOAT, INT, LONG, GET, PUT, APPEND, SETITEM) must give exactly what
the generic decoder gives, and leave every odd form (booleans ``I00``/``I01``, signs, spaces,
over-long decimals, missing memo slots, a line running past a frame) to the generic path, which
raises the same errors as before.
"""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsvs.scanner.pickle_ops import OpError
from mlsvs.scanner.pickle_values import Call, PDict
from mlsvs.scanner.pickle_vm import Budget, run_stream

# Values pickle writes with text opcodes only at protocol 0 (no REDUCE: no bytes, no sets).
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=30,
)


def _plain(value: object) -> object:
    """The emulator's symbolic value as the Python value the unpickler would build."""
    if isinstance(value, PDict):
        return {_plain(k): _plain(v) for k, v in value.items}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _value(data: bytes) -> object:
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None, result.error
    assert result.end == len(data)
    return _plain(result.value)


@settings(max_examples=200, deadline=None)
@given(value=values, protocol=st.integers(min_value=0, max_value=1))
def test_text_protocols_rebuild_the_pickled_value(value: object, protocol: int) -> None:
    data = pickle.dumps(value, protocol=protocol)
    assert _value(data) == value


def test_shared_objects_come_back_through_get() -> None:
    shared = ["weights", 3, 0.5]
    data = pickle.dumps({"a": shared, "b": shared, "c": [shared, (shared,)]}, protocol=0)
    assert b"g" in data  # the memo is read back with GET
    assert _value(data) == {"a": shared, "b": shared, "c": [shared, (shared,)]}


def _list_of(op: bytes) -> bytes:
    """``[<op's value>]`` with padding after it, so the op is on the inline path."""
    return b"(lp0\n" + op + b"aN0N0N0N0N0."


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (b"I00\n", False),
        (b"I01\n", True),
        (b"I007\n", 7),
        (b"I-7\n", -7),
        (b"I 7 \n", 7),
        (b"I12L\n", 12),
        (b"L123L\n", 123),
        (b"L-5L\n", -5),
        (b"L00L\n", 0),
        (b"I" + b"9" * 30 + b"\n", int("9" * 30)),
        (b"F2.5\n", 2.5),
        (b"F -1e3 \n", -1000.0),
        (b"Finf\n", math.inf),
        (b"V\\u00e9t\\u00e9\n", "\u00e9t\u00e9"),
        (b"Vplain\n", "plain"),
        (b"V\n", ""),
    ],
)
def test_text_arguments_decode_like_the_generic_path(op: bytes, expected: object) -> None:
    got = _value(_list_of(op))
    assert got == [expected]
    assert isinstance(got, list)
    assert type(got[0]) is type(expected)


@pytest.mark.parametrize(
    "data",
    [
        _list_of(b"I9" + b"x" * 5000 + b"\n"),  # long and not a number (long numbers read on)
        _list_of(b"Ixyz\n"),
        _list_of(b"F1.5.5\n"),
        b"(lp-1\naN0N0N0N0N0.",  # negative memo index
        b"(lp0\ng7\naN0N0N0N0N0.",  # memo slot never written
        b"(lp0\nI5" + b" " * 40,  # the line never ends
        b"(lp0\na" + b"N0" * 6 + b".",  # APPEND with nothing to append
        b"(dp0\nI1\nsN0N0N0N0N0.",  # SETITEM with a key and no value
    ],
)
def test_malformed_text_arguments_still_raise(data: bytes) -> None:
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert isinstance(result.error, OpError)


def test_setitem_and_append_into_other_targets_take_the_generic_path() -> None:
    # APPEND/SETITEM on a call result (an object being built) record state, as before.
    data = pickle.dumps({"counts": [1, 2, 3], "names": ["a", "b"]}, protocol=0).replace(
        b"(dp0\n", b"ccollections\nOrderedDict\np0\n(tRp9\n", 1
    )
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None
    assert isinstance(result.value, Call)
    keys = [item[0] for item in result.value.state if isinstance(item, tuple)]
    assert keys == ["counts", "names"]
