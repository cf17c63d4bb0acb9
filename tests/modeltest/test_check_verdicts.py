"""Each runtime MLC6xx check, run as the check (spawned model worker), fails and passes.

The measurement tests (test_runtime_evidence, test_privacy, test_evasion) call the test
functions directly; these run the registered check on a project with a tiny real model built
at test time, so the recorded status is the one ``mlsvs verify`` would report.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mlsvs.checks.behaviour import model_tests as mt
from mlsvs.model.catalog import Level
from mlsvs.plugin import Capability, CheckContext, Project, Status
from tests.modeltest import projmodels
from tests.modeltest.conftest import CAL_DATA, CARD, factory_model, section, write_csv

pytestmark = pytest.mark.slow

NOISY = {"test": "data/noisy_test.csv", "train": "data/noisy_train.csv", "label": "label"}
FEATURES = [f"f{i}" for i in range(projmodels.N_FEATURES)]
QUICK_COMPUTE = {"repeats": 3, "fuzz_samples": 10, "ordinary_samples": 30}


def _skops(root):
    import skops.io as sio

    path = root / "models" / "linear.skops"
    path.parent.mkdir(exist_ok=True)
    sio.dump(projmodels.build_linear(), path)
    return {"kind": "sklearn", "trusted_model": "models/linear.skops", "n_classes": 2}


@pytest.fixture
def runtime_project(project):
    xtr, ytr, xte, yte = projmodels.calibrated_split()
    write_csv(project / "data" / "cal_train.csv", xtr, ytr)
    write_csv(project / "data" / "cal_test.csv", xte, yte)
    xtr, ytr, xte, yte = projmodels.collinear_split()
    write_csv(project / "data" / "col_test.csv", xte, yte)
    x = projmodels.make_data(400, seed=5)[0]
    write_csv(project / "data" / "ood.csv", x * 4 + 2, np.zeros(400, dtype=int))
    return project


OOD_DATA = {"test": "data/test.csv", "train": "data/train.csv", "ood": "data/ood.csv"}

# (check, level, section overrides, README card or None, expected status)
CASES = [
    # a tree fitted to heavily label-noised data: held-out accuracy far below the L1 floor
    (
        mt.clean_accuracy_measured,
        "L1",
        {"model": factory_model("build_tree"), "data": NOISY},
        None,
        Status.FAIL,
    ),
    (mt.clean_accuracy_measured, "L1", {}, None, Status.PASS),
    (mt.blackbox_evasion, "L1", {"robustness": {"epsilon": 0.01}}, None, Status.PASS),
    (  # no level: the project's own budget and limit (the standard's L1 ε is 1/255)
        mt.blackbox_evasion,
        None,
        {"robustness": {"epsilon": 0.5, "blackbox_robust_accuracy_min": 0.9}},
        None,
        Status.FAIL,
    ),
    (
        mt.whitebox_evasion,
        "L1",
        {"robustness": {"epsilon": 0.01, "epsilons": [0.01]}},
        None,
        Status.PASS,
    ),
    (
        mt.whitebox_evasion,
        None,
        {"robustness": {"epsilon": 0.5, "epsilons": [0.1, 0.5], "robust_accuracy_min": 0.9}},
        None,
        Status.FAIL,
    ),
    (mt.membership_inference, None, {}, None, Status.PASS),
    (
        mt.membership_inference,
        None,
        {"model": factory_model("build_tree"), "data": NOISY},
        None,
        Status.FAIL,
    ),
    # f0 carries weight 3 in the model, f3 none: the outputs reveal f0 beyond the other columns
    (
        mt.attribute_inference,
        None,
        {
            "data": {"sensitive": "f0", "features": FEATURES},
            "privacy": {"attribute_advantage_max": 0.1},
        },
        None,
        Status.FAIL,
    ),
    (
        mt.attribute_inference,
        None,
        {
            "data": {"sensitive": "f3", "features": FEATURES},
            "privacy": {"attribute_advantage_max": 0.1},
        },
        None,
        Status.PASS,
    ),
    # full score vectors: a forest surrogate reaches ~0.89 fidelity in 200 queries
    (
        mt.model_extraction,
        None,
        {"extraction": {"extraction_fidelity_max": 0.99}},
        None,
        Status.PASS,
    ),
    (
        mt.model_extraction,
        None,
        {"extraction": {"extraction_fidelity_max": 0.8}},
        None,
        Status.FAIL,
    ),
    (mt.output_minimised, None, {}, None, Status.FAIL),
    (
        mt.output_minimised,
        None,
        {"model": factory_model("build_rounded", "callable")},
        None,
        Status.PASS,
    ),
    (
        mt.scores_calibrated,
        "L2",
        {"model": factory_model("build_calibrated"), "data": CAL_DATA},
        None,
        Status.PASS,
    ),
    (
        mt.scores_calibrated,
        "L2",
        {"model": factory_model("build_overfit_forest"), "data": CAL_DATA},
        None,
        Status.FAIL,
    ),
    (mt.corruption_robustness, "L2", {}, None, Status.PASS),
    (
        mt.corruption_robustness,
        "L2",
        {
            "model": factory_model("build_collinear", "callable"),
            "data": {"test": "data/col_test.csv"},
        },
        None,
        Status.FAIL,
    ),
    (
        mt.ood_detected,
        "L2",
        {
            "model": factory_model("build_abstaining", "callable", 3),
            "data": OOD_DATA,
            "ood": {"detector": "abstain_class", "abstain_class": 2},
        },
        None,
        Status.PASS,
    ),
    (
        mt.ood_detected,
        "L2",
        {
            "data": OOD_DATA,
            "input": {"shape": [6], "lower": -10.0, "upper": 10.0},
            "ood": {"detector": "max_softmax", "confidence_threshold": 0.6},
        },
        None,
        Status.FAIL,
    ),
    (mt.worst_case_compute, "L2", {"compute": QUICK_COMPUTE}, None, Status.PASS),
    (
        mt.worst_case_compute,
        "L2",
        {"model": factory_model("build_sponge", "callable"), "compute": QUICK_COMPUTE},
        None,
        Status.FAIL,
    ),
    (
        mt.memorisation_indicators,
        "L2",
        {"model": factory_model("build_calibrated"), "data": CAL_DATA},
        None,
        Status.PASS,
    ),
    (
        mt.memorisation_indicators,
        "L2",
        {"model": factory_model("build_overfit_forest"), "data": CAL_DATA},
        None,
        Status.FAIL,
    ),
    (mt.declared_metrics_match, "L2", {}, (96.0, 0.95), Status.PASS),
    (mt.declared_metrics_match, "L2", {}, (0.995, 0.95), Status.FAIL),
    (mt.third_party_acceptance, "L2", {"model": "skops"}, (0.97, 0.96), Status.PASS),
    (mt.third_party_acceptance, "L2", {"model": "skops"}, (0.999, 0.96), Status.FAIL),
    (
        mt.derived_models_reevaluated,
        "L2",
        {"derived": {"models": [{"name": "int8", "factory": "projmodels:build_quantised"}]}},
        None,
        Status.PASS,
    ),
    (
        mt.derived_models_reevaluated,
        "L2",
        {"derived": {"models": [{"name": "pruned", "factory": "projmodels:build_pruned"}]}},
        None,
        Status.FAIL,
    ),
]


@pytest.mark.parametrize(
    ("check", "level", "overrides", "card", "expected"),
    CASES,
    ids=[f"{c.id}-{e.value}-{i}" for i, (c, _, _, _, e) in enumerate(CASES)],
)
def test_runtime_check_fails_and_passes(runtime_project, check, level, overrides, card, expected):
    overrides = dict(overrides)
    if overrides.get("model") == "skops":
        overrides["model"] = _skops(runtime_project)
    if card is not None:
        (runtime_project / "README.md").write_text(CARD.format(acc=card[0], f1=card[1]))
    project = Project(root=runtime_project, name="p", traits=frozenset())
    ctx = CheckContext(
        project=project,
        today=date(2026, 1, 1),
        settings={"model_tests": section(**overrides)},
        capabilities=frozenset({Capability.MODEL_EXECUTION}),
        target_level=Level[level] if level else None,
    )
    [outcome] = check.run(ctx, project)
    assert outcome.status is expected, outcome.message
