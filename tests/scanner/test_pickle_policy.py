"""Call shapes, resolvers, old module paths and the emulation budget."""

from __future__ import annotations

import pickle
import time
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import scan_path
from mlsvs.scanner.pickle_shapes import CallShape, mismatch, signature
from mlsvs.scanner.pickle_values import Ref
from mlsvs.scanner.pickle_vm import Budget, run_stream
from mlsvs.scanner.policy import CallVerdict, call_shape, classify
from tests.scanner.scan_pk import call, glob, s, stop

if TYPE_CHECKING:
    from pathlib import Path


def _rules(path: Path) -> set[str]:
    return {f.rule.value for f in scan_path(path).findings}


def test_signature_keeps_callable_names_and_coarse_data_kinds() -> None:
    sig = signature((Ref("numpy", "ndarray"), (0,), b"b", None, 1.0, [1], True))
    assert sig == ("ref:numpy.ndarray", "tuple", "bytes", "none", "float", "list", "bool")
    assert signature("not a tuple")[0] == "args:not-a-tuple"


def test_invoked_position_needs_the_exact_callable() -> None:
    shape = call_shape("numpy.random._pickle.__generator_ctor")
    assert shape is not None
    ok = ("str", "ref:numpy.random._pickle.__bit_generator_ctor")
    assert mismatch("numpy.random._pickle.__generator_ctor", shape, ok) is None
    bad = mismatch(
        "numpy.random._pickle.__generator_ctor",
        shape,
        ("bytes", "ref:torch.storage._load_from_bytes"),
    )
    assert bad is not None and bad.invoked and bad.position in (0, 1)


def test_data_position_accepts_any_reference_when_references_are_ordinary() -> None:
    shape = CallShape(arities=frozenset({1}), positions=(frozenset({"ref:a.B"}),))
    assert mismatch("x.y", shape, ("ref:c.D",)) is None
    assert mismatch("x.y", shape, ("int",)) is not None
    assert mismatch("x.y", shape, ("ref:c.D", "int")) is not None  # unseen arity


def test_allocation_through_an_allowlisted_constructor_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "a.pkl"
    p.write_bytes(
        stop(call(glob("builtins", "bytearray"), b"\x8a\x06" + (1 << 40).to_bytes(6, "little")))
    )
    assert "PKL009" in _rules(p)


def test_getattr_of_an_allowlisted_class_is_the_resolved_name(tmp_path: Path) -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    p = tmp_path / "tz.pkl"
    p.write_bytes(pickle.dumps(zoneinfo.ZoneInfo("Europe/Paris"), protocol=4))
    assert _rules(p) == set()


def test_getattr_with_a_computed_name_is_dynamic(tmp_path: Path) -> None:
    name = call(glob("_codecs", "encode"), s("flfgrz"), s("rot13"))
    p = tmp_path / "a.pkl"
    p.write_bytes(stop(call(call(glob("builtins", "getattr"), glob("pathlib", "PosixPath"), name))))
    assert _rules(p) & {"PKL001", "PKL003"}


def test_old_scikit_learn_module_paths_are_their_new_names() -> None:
    assert classify("sklearn.ensemble.forest.RandomForestClassifier").verdict is CallVerdict.ALLOWED
    assert classify("sklearn.tree.tree.DecisionTreeClassifier").verdict is CallVerdict.ALLOWED
    assert classify("sklearn.utils.evil.run").verdict is CallVerdict.UNKNOWN


def test_allowlist_entries_carry_provenance() -> None:
    from mlsvs.scanner.policy import _load

    entries = _load("allowlist-v2.json")["callables"]
    assert isinstance(entries, dict)
    assert all(isinstance(e, dict) and e.get("provenance") for e in entries.values())
    numpy = entries["numpy.random._pickle.__generator_ctor"]
    assert isinstance(numpy, dict) and len(numpy["provenance"]) >= 2  # several numpy releases


def test_time_budget_ends_in_not_verified() -> None:
    data = pickle.dumps(list(range(1000)), protocol=4)
    result = run_stream(data, 0, Budget(opcodes=10**9, deadline=time.monotonic() - 1))
    assert result.budget_exceeded
    assert result.error is None


def test_fast_loop_matches_the_reference_decoder_offsets() -> None:
    # every stream ends exactly where pickletools says STOP is
    import pickletools

    for obj in ({"a": [1, 2.5, "x" * 300, b"y", None, True, (1,), (1, 2)]}, list(range(300))):
        for protocol in range(6):
            data = pickle.dumps(obj, protocol=protocol) + b"trailing"
            stop_pos = next(p for op, _a, p in pickletools.genops(data) if op.name == "STOP")
            result = run_stream(data, 0, Budget(opcodes=10**6))
            assert result.error is None and result.end == stop_pos + 1
