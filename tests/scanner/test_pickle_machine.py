"""The emulator decodes exactly what the unpickler reads, for every protocol, never loading it."""

from __future__ import annotations

import pickle
import pickletools
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsvs.scanner.pickle_ops import OPCODE_NAMES, OpError, read_op
from mlsvs.scanner.pickle_scan import PickleScan, analyze
from mlsvs.scanner.pickle_values import Call, EventKind, PDict, Ref
from mlsvs.scanner.pickle_vm import Budget, run_stream
from mlsvs.scanner.policy import CallVerdict, classify, normalize
from tests.scanner.scan_pk import PAYLOAD, call, glob, s, stop

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.binary(max_size=20),
)  # fmt: skip
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=20,
)


def test_opcode_table_matches_pickletools() -> None:
    assert {op.name for op in pickletools.opcodes} == OPCODE_NAMES


def _scan(data: bytes) -> PickleScan:
    scan = PickleScan(member=None, allow=frozenset(), budget=Budget(opcodes=10**6))
    analyze(data, 0, scan)
    return scan


@settings(max_examples=150, deadline=None)
@given(value=values, protocol=st.integers(min_value=0, max_value=5))
def test_decoder_agrees_with_pickletools(value: object, protocol: int) -> None:
    data = pickle.dumps(value, protocol=protocol)
    expected = [(op.name, pos) for op, _, pos in pickletools.genops(data)]
    got = []
    pos = 0
    while True:
        op = read_op(data, pos)
        got.append((op.name, op.pos))
        pos = op.end
        if op.name == "STOP":
            break
    assert got == expected
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None and result.end == len(data)
    assert _scan(data).findings == []


def test_memo_and_stack_follow_the_unpickler() -> None:
    data = pickle.dumps(OrderedDict(a=[1, 2]), protocol=4)
    result = run_stream(data, 0, Budget(opcodes=1000))
    assert isinstance(result.value, Call)
    assert result.value.func == Ref("collections", "OrderedDict")
    assert [e.name for e in result.events if e.kind is EventKind.IMPORT] == [
        "collections.OrderedDict"
    ]


def test_setitems_build_a_dict() -> None:
    result = run_stream(pickle.dumps({"k": 1, "j": 2}, protocol=2), 0, Budget(opcodes=100))
    assert isinstance(result.value, PDict)
    assert result.value.get("j") == 2


def test_every_stream_is_scanned() -> None:
    data = pickle.dumps(1) + pickle.dumps(2) + stop(call(glob("os", "system"), s(PAYLOAD)))
    rules = {f.rule.value for f in _scan(data).findings}
    assert rules == {"PKL001"}


def test_garbage_after_stop_is_reported() -> None:
    rules = [f.rule.value for f in _scan(pickle.dumps(1) + b"\xff\xfe").findings]
    assert rules == ["PKL007"]


def test_parse_error_keeps_earlier_findings_and_reports_damage() -> None:
    data = b"\x80\x02" + call(glob("os", "system"), s(PAYLOAD)) + b"\xff"
    rules = sorted(f.rule.value for f in _scan(data).findings)
    assert rules == ["PKL001", "PKL006"]


def test_resync_finds_a_pickle_hidden_after_damage() -> None:
    data = b"\x80\x02K\x01\xff" + b"junk" + stop(call(glob("subprocess", "run"), s(PAYLOAD)))
    rules = {f.rule.value for f in _scan(data).findings}
    assert {"PKL001", "PKL006"} <= rules


def test_budget_is_enforced() -> None:
    data = b"\x80\x02" + b"N0" * 5000 + b"N."
    scan = PickleScan(member=None, allow=frozenset(), budget=Budget(opcodes=100))
    analyze(data, 0, scan)
    assert [f.rule.value for f in scan.findings] == ["PKL008"]


def test_truncated_argument_raises_op_error() -> None:
    with pytest.raises(OpError):
        read_op(b"X\xff\xff\xff\x7fabc", 0)


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("os.system", CallVerdict.DANGEROUS),
        ("posix.system", CallVerdict.DANGEROUS),
        ("__builtin__.eval", CallVerdict.DANGEROUS),
        ("asyncio.unix_events._UnixSubprocessTransport", CallVerdict.DANGEROUS),
        ("torch.serialization.os.system", CallVerdict.DANGEROUS),
        ("numpy.core.multiarray._reconstruct", CallVerdict.ALLOWED),
        ("torch._utils._rebuild_tensor_v2", CallVerdict.ALLOWED),
        ("collections.OrderedDict", CallVerdict.ALLOWED),
        ("acme.Model", CallVerdict.UNKNOWN),
    ],
)
def test_policy(name: str, verdict: CallVerdict) -> None:
    assert classify(name).verdict is verdict


def test_user_allow_extends_unknown_but_never_silences_dangerous() -> None:
    assert classify("acme.Model", frozenset({"acme.Model"})).verdict is CallVerdict.ALLOWED
    assert classify("acme.sub.X", frozenset({"acme.*"})).verdict is CallVerdict.ALLOWED
    assert classify("os.system", frozenset({"os.system"})).verdict is CallVerdict.DANGEROUS


def test_python2_names_are_normalised() -> None:
    assert normalize("__builtin__.eval") == "builtins.eval"
    assert normalize("copy_reg._reconstructor") == "copyreg._reconstructor"
