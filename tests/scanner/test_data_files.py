"""Consistency of the bundled lists and the documentation."""

from __future__ import annotations

from pathlib import Path

from mlsvs.scanner import RULES
from mlsvs.scanner.policy import _deny_reason, _lists, allowlist_names

# Allowlisted names inside denylisted modules, each reviewed: constructing them touches nothing.
REVIEWED_OVERRIDES = {
    "joblib.numpy_pickle.NDArrayWrapper",
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "joblib.numpy_pickle.ZNDArrayWrapper",  # joblib < 0.10: raw bytes from its zfile, no pickle
    "pathlib.PosixPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "pathlib.WindowsPath",
    "uuid.UUID",
}


def test_allowlist_overrides_of_the_denylist_are_reviewed() -> None:
    overrides = {n for n in allowlist_names() if _deny_reason(n, _lists()) is not None}
    assert overrides == REVIEWED_OVERRIDES


def test_allowlist_has_no_code_execution_primitives() -> None:
    banned = ("eval", "exec", "system", "popen", "loads", "load", "getattr", "__import__")
    names = allowlist_names() - {"torch.storage._load_from_bytes"}
    assert not [n for n in names if n.rsplit(".", 1)[-1] in banned]


def test_every_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scanner.md").read_text()
    assert all(f"| {rule.value} |" in doc for rule in RULES)
