"""The comparison benchmark scores recall on exploitable samples only (oracle ground truth)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.scanner.oracle.ground_truth import GROUND_TRUTH, NO_LOADER
from tests.scanner.scan_containers import CONTAINER_CASES
from tests.scanner.scan_malicious import CASES

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "scanner" / "run_benchmark.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_benchmark", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_benchmark", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_only_oracle_proven_exploits_count_for_recall() -> None:
    bench = _bench()
    for name in (*GROUND_TRUTH, *NO_LOADER):
        assert bench.truth_of(name) == bench.OTHER, name
    exploitable = [
        c.name for c in (*CASES, *CONTAINER_CASES) if bench.truth_of(c.name) == "exploitable"
    ]
    assert "zip-slip" not in exploitable and "unknown-callable" not in exploitable
    assert "tar-slip" in exploitable
    assert {c.name for c in CONTAINER_CASES} <= set(exploitable)


def test_not_verified_is_neither_detected_nor_clean() -> None:
    bench = _bench()
    assert bench.outcome(1) == bench.DETECTED
    assert bench.outcome(0) == bench.CLEAN
    for code in (2, 3, 124, 127, -9):
        assert bench.outcome(code) == bench.NOT_VERIFIED


def test_table_keeps_the_three_truth_classes_apart() -> None:
    bench = _bench()
    tool = bench.Tool("t", ["t"])
    for name, truth, code in (
        ("a", bench.EXPLOITABLE, 1), ("b", bench.EXPLOITABLE, 3), ("c", bench.EXPLOITABLE, 0),
        ("d", bench.OTHER, 1), ("e", bench.BENIGN, 1), ("f", bench.BENIGN, 2),
    ):  # fmt: skip
        tool.record(truth, bench.outcome(code), name)
    tool.corpus_s = tool.big_s = 1.0
    row = bench.table([tool], {bench.EXPLOITABLE: 3, bench.OTHER: 1, bench.BENIGN: 2}).splitlines()[
        2
    ]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:6] == ["1/3 (33%)", "1", "1/2", "1", "1/0/0"]
