"""Config validation, thresholds per level, extraction/output units and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlsvs.adapters.models.budget import BudgetedModel
from mlsvs.adapters.models.callable import CallableModel
from mlsvs.adapters.models.sklearn import SklearnModel
from mlsvs.adapters.models.spec import InputSpec, OutputKind
from mlsvs.cli.main import main
from mlsvs.errors import ConfigError
from mlsvs.modeltest.config import parse
from mlsvs.modeltest.data import Dataset
from mlsvs.modeltest.extraction import extraction
from mlsvs.modeltest.output import Granularity, detect
from mlsvs.modeltest.thresholds import decide, parse_threshold
from tests.modeltest import projmodels
from tests.modeltest.conftest import section


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"robustness": {"epsilonn": 1}}, "unknown key(s) in [model_tests.robustness]: epsilonn"),
        ({"bogus": 1}, "unknown key(s) in [model_tests]: bogus"),
        ({"robustness": {"norm": "l3"}}, "norm must be linf or l2"),
        ({"robustness": {"steps": "ten"}}, "robustness.steps must be int"),
        ({"privacy": {"mia_auc_max": {"L9": 0.5}}}, "unknown level 'L9'"),
        ({"privacy": {"attacks": ["loss", "magic"]}}, "'magic' is not one of"),
        ({"level": "L7"}, "level must be one of"),
        ({"input": {"shape": None}}, "input.shape must be list"),
    ],
)
def test_bad_config_is_one_clear_error(patch, message):
    with pytest.raises(ConfigError) as err:
        parse(section(**patch))
    assert message in err.value.message


def test_missing_model_declaration():
    sec = section()
    sec["model"] = {"n_classes": 2}
    with pytest.raises(ConfigError, match="factory"):
        parse(sec)


def test_thresholds_per_level():
    t = parse_threshold("robust_accuracy_min", {"L1": 0.5, "L2": 0.6}, "x")
    assert decide(0.55, t, "L1").ok is True
    assert decide(0.55, t, "L2").ok is False
    assert decide(0.55, t, None).level == "L2"  # strictest declared level decides by default
    assert decide(0.55, t, "L3").ok is None  # no limit for L3: not verified
    assert t.levels_met(0.55) == ("L1",)
    m = parse_threshold("mia_auc_max", 0.6, "x")
    assert decide(0.61, m, "L3").ok is False and decide(0.6, m, "L1").ok is True


def test_extraction_fidelity_rises_with_budget():
    x, y = projmodels.make_data(3000, seed=5)
    spec = InputSpec(shape=(6,))
    model = BudgetedModel(SklearnModel(projmodels.build_linear(), spec), budget=None)
    cfg = parse(
        section(
            extraction={
                "budgets": [10, 100, 1000],
                "samples": 500,
                "surrogate": "logistic",
                "extraction_fidelity_max": 0.9,
            }
        )
    )
    res = extraction(model, Dataset(x=x, y=y, features=(), source="pool"), cfg)
    fid = [p.y for p in res.measurements[0].series]
    assert fid[-1] > fid[0] and fid[-1] > 0.95
    assert res.ok is False
    uniform = parse(
        section(
            extraction={"budgets": [20, 400], "query_source": "uniform", "surrogate": "logistic"}
        )
    )
    res_u = extraction(model, Dataset(x=x, y=y, features=(), source="pool"), uniform)
    fid_u = [p.y for p in res_u.measurements[0].series]
    assert len(fid_u) == 2 and fid_u[1] > fid_u[0]
    assert dict(res_u.measurements[0].parameters)["query_sources"] == "uniform"


def test_extraction_takes_the_worst_pool_and_is_stable_across_pools():
    """The verdict no longer flips with the attacker's pool: every pool runs, the worst
    decides, and the per-pool fidelities are reported."""
    x, y = projmodels.make_data(3000, seed=5)
    spec = InputSpec(shape=(6,))
    model = BudgetedModel(SklearnModel(projmodels.build_linear(), spec), budget=None)
    ds = Dataset(x=x, y=y, features=(), source="pool")
    verdicts = set()
    for seed in (0, 1, 2):
        cfg = parse(section(seed=seed, extraction={
            "budgets": [50, 500], "surrogate": "logistic", "extraction_fidelity_max": 0.9,
        }))  # fmt: skip
        res = extraction(model, ds, cfg)
        facts = dict(res.measurements[0].parameters)
        assert facts["query_sources"] == "data,uniform,synthetic"
        pools = {k: float(facts[f"fidelity_{k}"]) for k in ("data", "uniform", "synthetic")}
        assert res.measurements[0].value == max(pools.values())
        verdicts.add(res.ok)
    assert verdicts == {False}  # a linear model is extracted from every pool


def test_surrogate_below_majority_class_is_not_verified():
    """A surrogate that cannot beat the majority class means the attack failed."""
    x, y = projmodels.make_data(600, seed=5)
    spec = InputSpec(shape=(6,))
    rng = np.random.default_rng(0)

    def noisy(z):  # answers are noise: nothing to extract, no surrogate can agree
        return rng.integers(0, 2, len(z))

    model = BudgetedModel(CallableModel(noisy, spec, 2), budget=None, cache=False)
    cfg = parse(section(extraction={"budgets": [20, 100], "surrogate": "logistic",
                                    "extraction_fidelity_max": 0.99}))  # fmt: skip
    res = extraction(model, Dataset(x=x, y=y, features=(), source="pool"), cfg)
    assert res.ok is None and "majority-class baseline" in res.message


def test_output_granularity_detection():
    full = np.array([[0.1234567, 0.8765433], [0.3, 0.7]])
    assert detect(full, OutputKind.PROBABILITIES)[0] is Granularity.FULL
    assert detect(np.round(full, 2), OutputKind.PROBABILITIES)[0] is Granularity.ROUNDED
    top2 = np.array([[0.6, 0.4, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]])
    assert detect(top2, OutputKind.PROBABILITIES)[:2] == (Granularity.TOP_K, 2)
    assert detect(np.eye(3), OutputKind.PROBABILITIES)[0] is Granularity.LABELS


def _write_config(project, extra=""):
    (project / "mlsvs.toml").write_text(
        f"""
[model_tests]
seed = 3
{extra}
[model_tests.model]
kind = "sklearn"
factory = "projmodels:build_linear"
n_classes = 2
[model_tests.input]
shape = [6]
[model_tests.data]
test = "data/test.csv"
train = "data/train.csv"
[model_tests.robustness]
samples = 40
epsilon = 0.1
epsilons = [0.05, 0.1]
queries_per_input = 100
robust_accuracy_min = {{L1 = 0.2}}
[model_tests.extraction]
budgets = [10, 100]
samples = 80
extraction_fidelity_max = 1.0
"""
    )


def test_cli_prints_the_numbers_as_json(project, capsys):
    _write_config(project)
    code = main(["test", "robustness", str(project), "--allow", "model-exec", "-f", "json"])
    out = json.loads(capsys.readouterr().out)
    names = [t["name"] for t in out["tests"]]
    assert names == ["clean_accuracy", "blackbox_evasion", "whitebox_evasion"]
    wb = out["tests"][2]["measurements"][0]
    assert wb["x_label"] == "epsilon" and len(wb["series"]) == 3
    assert code == (0 if all(t["status"] == "pass" for t in out["tests"]) else 1)


def test_cli_text_extraction_and_errors(project, capsys):
    _write_config(project)
    code = main(
        [
            "test",
            "extraction",
            "--config",
            str(project / "mlsvs.toml"),
            str(project),
            "--allow",
            "model-exec",
        ]
    )
    text = capsys.readouterr().out
    assert "extraction_fidelity" in text and "output_granularity" in text
    assert code == 1  # sklearn returns full scores: MLC621-style failure
    assert main(["test", "privacy", str(project)]) == 2
    assert "--allow model-exec" in capsys.readouterr().err
    assert main(["test", "privacy", str(project), "--allow", "root"]) == 2
    _write_config(project, extra="unknown_key = 1")
    assert main(["test", "privacy", str(project), "--allow", "model-exec"]) == 2
    assert "unknown_key" in capsys.readouterr().err
    (project / "mlsvs.toml").unlink()
    assert main(["test", "privacy", str(project), "--allow", "model-exec"]) == 2
    assert "no model under test declared" in capsys.readouterr().err
