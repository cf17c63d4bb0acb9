"""The verified level drives the thresholds; a project can only tighten them."""

from __future__ import annotations

import pytest

from mlsvs.errors import ConfigError
from mlsvs.modeltest.standard import PARAMETERS, Standard
from mlsvs.modeltest.thresholds import parse_threshold


def test_level_defaults_apply_and_a_project_can_only_tighten():
    own = parse_threshold("mia_auc_max", {"L2": 0.7}, "privacy")
    loose, src = Standard(level="L2").threshold("M7.2.1.max_auc", own)
    assert loose is not None and loose.at("L2") == ("L2", 0.55) and "standard" in src
    strict = parse_threshold("mia_auc_max", {"L2": 0.51}, "privacy")
    tight, src = Standard(level="L2").threshold("M7.2.1.max_auc", strict)
    assert tight is not None and tight.at("L2") == ("L2", 0.51) and src == "project"
    floor, _ = Standard(level="L3").threshold("M6.2.1.min_robust_accuracy", None)
    assert floor is not None and floor.at("L3") == ("L3", 0.6)


def test_run_parameters_override_defaults_and_budgets_only_grow():
    std = Standard(level="L1", values={"M8.2.2.query_budget": 20000})
    assert std.budget("M8.2.2.query_budget", 500) == 20000
    assert Standard(level="L1").budget("M6.2.1.queries_per_input", 2000) == 2000
    assert Standard(level="L3").budget("M6.2.1.queries_per_input", 100) == 5000
    with pytest.raises(ConfigError):
        Standard(level="L1", values={"M7.2.1.max_auc": "high"}).value("M7.2.1.max_auc")


def test_without_a_level_the_project_decides():
    own = parse_threshold("mia_auc_max", 0.9, "privacy")
    t, src = Standard().threshold("M7.2.1.max_auc", own)
    assert t is own and src == "project"
    assert Standard().threshold("M7.2.1.max_auc", None) == (None, "none")


def test_every_parameter_has_three_level_defaults_and_is_documented():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "model-testing.md"
    text = doc.read_text(encoding="utf-8")
    for key, p in PARAMETERS.items():
        assert key.split(".")[0][0] == "M" and len(p.defaults) == 3
        assert key in text, f"{key} is not documented in docs/model-testing.md"
