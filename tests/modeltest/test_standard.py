"""The verified level drives the thresholds and budgets (the standard's parameters)."""

from __future__ import annotations

import pytest

from mlsvs.errors import ConfigError
from mlsvs.modeltest.standard import PARAMETERS, StandardValues
from mlsvs.modeltest.thresholds import parse_threshold


def test_at_a_level_the_standard_decides():
    own = parse_threshold("mia_advantage_max", {"L2": 0.7}, "privacy")
    limit, src = StandardValues(level="L2").threshold("M7.2.1.max_advantage", own)
    assert limit is not None and limit.at("L2") == ("L2", 0.1) and "standard" in src
    floor, _ = StandardValues(level="L3").threshold("M6.2.1.min_robust_accuracy_ratio", None)
    assert floor is not None and floor.at("L3") == ("L3", 0.6)
    # M7.2.1 enters at L2: an L1 run judges it by its entry level's bar, as the engine
    # resolves the catalog (one bar per requirement whatever the target), never by the project's.
    entry, why = StandardValues(level="L1").threshold("M7.2.1.max_advantage", own)
    assert entry is not None and entry.at("L1") == ("L1", 0.1) and "standard" in why


def test_run_parameters_override_defaults_and_budgets_only_grow():
    std = StandardValues(level="L2", values={"M8.2.2.query_budget": 20000})
    assert std.budget("M8.2.2.query_budget", 500) == 20000
    assert StandardValues(level="L1").budget("M6.2.1.query_budget", 2000) == 2000
    assert StandardValues(level="L3").budget("M6.2.1.query_budget", 100) == 10000
    assert StandardValues(level="L2").text("M6.2.1.norm") == "linf"
    with pytest.raises(ConfigError):
        StandardValues(level="L2", values={"M7.2.1.max_advantage": "high"}).value(
            "M7.2.1.max_advantage"
        )


def test_without_a_level_the_project_decides():
    own = parse_threshold("mia_auc_max", 0.9, "privacy")
    t, src = StandardValues().threshold("M7.2.1.max_advantage", own)
    assert t is own and src == "project"
    assert StandardValues().threshold("M7.2.1.max_advantage", None) == (None, "none")
    assert StandardValues().budget("M6.2.1.query_budget", 7) == 7


def test_every_parameter_is_documented():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "model-testing.md"
    text = doc.read_text(encoding="utf-8")
    for key, p in PARAMETERS.items():
        assert len(p.defaults) == 3
        assert key in text, f"{key} is not documented in docs/model-testing.md"
