"""Runtime evidence checks MLC650-MLC656 on real tiny models in the spawned worker."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mlsvs.checks.behaviour import model_tests as mt
from mlsvs.modeltest import corruptions as cor
from mlsvs.modeltest.calibration import ece
from mlsvs.modeltest.memorisation import newcombe
from mlsvs.modeltest.result import TestName
from mlsvs.modeltest.session import run_tests
from mlsvs.plugin import Capability, CheckContext, Project, Status
from tests.modeltest import projmodels
from tests.modeltest.conftest import CAL_DATA, CARD, factory_model, section, write_csv

pytestmark = pytest.mark.slow


def _worker(root, names, level="L2", **overrides):
    """Through the spawned model worker, as the checks run."""
    results = run_tests(
        section(**overrides), root, names, model_exec=True, network=False, level=level
    )
    return {r.name: r for r in results}


def _run(root, names, level="L2", **overrides):
    """In this process (fast: no worker start), same configuration and standard handling."""
    from dataclasses import replace

    from mlsvs.adapters.models.load import build
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.session import model_source, run_with_model
    from mlsvs.modeltest.standard import StandardValues

    cfg = parse(section(**overrides))
    cfg = replace(cfg, level=level, standard=StandardValues(level=level, values={}))
    model = build(model_source(cfg, root))
    return {r.name: r for r in run_with_model(model, cfg, root, names)}


@pytest.fixture
def calib_project(project):
    xtr, ytr, xte, yte = projmodels.calibrated_split()
    write_csv(project / "data" / "cal_train.csv", xtr, ytr)
    write_csv(project / "data" / "cal_test.csv", xte, yte)
    xtr, ytr, xte, yte = projmodels.collinear_split()
    write_csv(project / "data" / "col_test.csv", xte, yte)
    return project


def test_ece_formula_on_known_bins():
    conf = np.array([0.95, 0.95, 0.95, 0.95, 0.55, 0.55])
    correct = np.array([1, 1, 1, 0, 1, 0], dtype=float)
    # bin 15 (0.933-1]: acc 0.75, conf 0.95 -> 4/6*0.2; bin 9: acc 0.5, conf 0.55 -> 2/6*0.05
    assert ece(conf, correct) == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.05)
    assert ece(np.ones(10), np.ones(10)) == 0.0


def test_newcombe_interval_contains_difference():
    lo, hi = newcombe(95, 100, 80, 100)
    assert lo < 0.15 < hi and lo > 0


def test_calibrated_model_passes_and_overfit_forest_fails(calib_project):
    names = (TestName.CALIBRATION, TestName.MEMORISATION)
    good = _worker(calib_project, names, model=factory_model("build_calibrated"), data=CAL_DATA)
    bad = _run(calib_project, names, model=factory_model("build_overfit_forest"), data=CAL_DATA)
    assert good["calibration"].ok is True, good["calibration"].message
    assert good["memorisation"].ok is True, good["memorisation"].message
    assert bad["calibration"].ok is False, bad["calibration"].message
    assert bad["memorisation"].ok is False, bad["memorisation"].message
    e, _gap = bad["calibration"].measurements
    assert e.name == "expected_calibration_error" and e.lower <= e.value <= e.upper
    assert e.value > 0.1 and e.threshold == 0.05  # L2 parameters of M7.1.3
    [g] = bad["memorisation"].measurements
    assert g.lower > 0.1 and dict(g.parameters)["interval"] == "newcombe"


def test_calibration_without_limit_or_samples_is_not_verified(calib_project):
    few = _run(
        calib_project,
        (TestName.CALIBRATION,),
        model=factory_model("build_calibrated"),
        data=CAL_DATA,
        calibration={"samples": 50},
    )
    assert few["calibration"].ok is None and few["calibration"].gaps
    none = _run(
        calib_project,
        (TestName.CALIBRATION,),
        level=None,
        model=factory_model("build_calibrated"),
        data=CAL_DATA,
    )
    assert none["calibration"].ok is None and "no threshold" in none["calibration"].message


def test_corruption_ratio_passes_robust_and_fails_brittle_model(calib_project):
    ok = _run(calib_project, (TestName.CORRUPTION,))["corruption_robustness"]
    brittle = _run(
        calib_project,
        (TestName.CORRUPTION,),
        model=factory_model("build_collinear", kind="callable"),
        data={"test": "data/col_test.csv"},
    )["corruption_robustness"]
    assert ok.ok is True, ok.message
    assert brittle.ok is False, brittle.message
    head = brittle.measurements[0]
    assert head.name == "corruption_accuracy_ratio" and head.value < 0.7 and head.threshold == 0.7
    params = dict(head.parameters)
    assert params["severity"] == "3" and params["clean_accuracy"] == "1"
    assert {m.name for m in brittle.measurements[1:]} == {
        "corrupted_accuracy.gaussian_noise",
        "corrupted_accuracy.missing_values",
        "corrupted_accuracy.scale_shift",
        "corrupted_accuracy.offset_shift",
    }


def test_severity_follows_the_level(calib_project):
    r = _run(calib_project, (TestName.CORRUPTION,), level="L3")["corruption_robustness"]
    assert dict(r.measurements[0].parameters)["severity"] == "5"


def test_image_corruptions_change_images_within_bounds_and_grow_with_severity():
    from mlsvs.adapters.models.spec import InputSpec

    rng = np.random.default_rng(0)
    spec = InputSpec(shape=(3, 16, 16))
    yy, xx = np.mgrid[0:16, 0:16] / 15
    x = np.stack([np.stack([yy, xx, (yy + xx) / 2])] * 8).astype("float32")
    x += rng.uniform(-0.05, 0.05, x.shape).astype("float32")
    x = np.clip(x, 0, 1)
    ctx = cor.context(x, spec, image=True)
    assert cor.is_image(spec)
    for kind in cor.IMAGE:
        diffs = []
        for s in (1, 3, 5):
            out = cor.apply(kind, x, s, np.random.default_rng(1), ctx)
            assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1, kind
            diffs.append(float(np.abs(out - x).mean()))
        assert diffs[0] > 0, kind
        assert diffs[2] >= diffs[0] * 0.999, (kind, diffs)


def test_ood_abstain_detector_passes_and_confident_model_fails(project):
    x = projmodels.make_data(400, seed=5)[0]
    write_csv(project / "data" / "ood.csv", x * 4 + 2, np.zeros(400, dtype=int))
    data = {"test": "data/test.csv", "train": "data/train.csv", "ood": "data/ood.csv"}
    good = _run(
        project,
        (TestName.OOD,),
        model=factory_model("build_abstaining", "callable", 3),
        data=data,
        ood={"detector": "abstain_class", "abstain_class": 2},
    )
    bad = _run(
        project,
        (TestName.OOD,),
        data=data,
        input={"shape": [6], "lower": -10.0, "upper": 10.0},
        ood={"detector": "max_softmax", "confidence_threshold": 0.6},
    )
    assert good["ood_detection"].ok is True, good["ood_detection"].message
    assert bad["ood_detection"].ok is False, bad["ood_detection"].message
    det, fpr = bad["ood_detection"].measurements
    assert det.name == "ood_detection_rate" and det.value < 0.8 and det.threshold == 0.8
    assert fpr.lower <= fpr.value <= fpr.upper


def test_ood_without_detector_or_ood_set_is_not_verified(project):
    r = _run(project, (TestName.OOD,))["ood_detection"]
    assert r.ok is None and "no OOD detector declared" in r.message and r.gaps
    r = _run(
        project, (TestName.OOD,), ood={"detector": "max_softmax", "confidence_threshold": 0.6}
    )["ood_detection"]
    assert r.ok is None and "no OOD test set" in r.message


def test_compute_passes_bounded_model_and_fails_sponges(project):
    quick = {"repeats": 3, "fuzz_samples": 10, "ordinary_samples": 30}
    ok = _worker(project, (TestName.COMPUTE,), compute=quick)["worst_case_compute"]
    sponge = _run(
        project, (TestName.COMPUTE,), model=factory_model("build_sponge", "callable"), compute=quick
    )["worst_case_compute"]
    assert ok.ok is True, ok.message
    assert sponge.ok is False and "latency" in sponge.message, sponge.message
    lat = sponge.measurements[0]
    assert lat.value > 10 and lat.threshold == 10
    mem = _worker(
        project,
        (TestName.COMPUTE,),
        level=None,
        model=factory_model("build_memory_sponge", "callable"),
        compute={**quick, "latency_ratio_max": 1000.0, "memory_ratio_max": 1.3},
    )["worst_case_compute"]
    assert mem.ok is False, mem.message
    assert mem.measurements[1].name == "worst_case_memory_ratio" and mem.measurements[1].value > 1.3


def _skops(project):
    import skops.io as sio

    path = project / "models" / "linear.skops"
    path.parent.mkdir()
    sio.dump(projmodels.build_linear(), path)
    return "models/linear.skops"


def test_declared_metrics_match_and_overclaim_fails(project):
    (project / "README.md").write_text(CARD.format(acc=96.0, f1=0.95))
    r = _run(project, (TestName.DECLARED,))["declared_metrics"]
    assert r.ok is True, r.message
    assert {m.name for m in r.measurements} == {"claimed_accuracy", "claimed_f1"}
    (project / "README.md").write_text(CARD.format(acc=0.995, f1=0.95))
    r = _run(project, (TestName.DECLARED,))["declared_metrics"]
    assert r.ok is False and "claims better than measured" in r.message


def test_declared_metrics_without_card_is_not_verified(project):
    r = _run(project, (TestName.DECLARED,))["declared_metrics"]
    assert r.ok is None and "no model card" in r.message


def test_acceptance_binds_digest_and_shortfall(project):
    rel = _skops(project)
    model = {"kind": "sklearn", "trusted_model": rel, "n_classes": 2}
    (project / "README.md").write_text(CARD.format(acc=0.97, f1=0.96))
    r = _run(project, (TestName.ACCEPTANCE,), model=model)["acceptance"]
    assert r.ok is True, r.message
    digest = dict(r.facts)["sha256"]
    (project / "README.md").write_text(CARD.format(acc=0.999, f1=0.96))
    r = _run(project, (TestName.ACCEPTANCE,), model=model)["acceptance"]
    assert r.ok is False and "shortfall" in r.message
    (project / "README.md").write_text(CARD.format(acc=0.97, f1=0.96))
    r = _run(
        project,
        (TestName.ACCEPTANCE,),
        model=model,
        claims={"expected_digest": "sha256:" + "0" * 64},
    )["acceptance"]
    assert r.ok is False and digest[:16] in r.message
    r = _run(project, (TestName.ACCEPTANCE,))["acceptance"]
    assert r.ok is None and "factory" in r.message


def test_checks_map_outcomes(calib_project):
    sec = section(model=factory_model("build_overfit_forest"), data=CAL_DATA)
    ctx = CheckContext(
        project=Project(root=calib_project, name="p", traits=frozenset()),
        today=date(2026, 1, 1),
        settings={"model_tests": sec},
        capabilities=frozenset({Capability.MODEL_EXECUTION}),
        target_level=None,
    )
    [o] = mt.scores_calibrated.run(ctx, ctx.project)
    assert o.status is Status.NOT_VERIFIED and "no threshold" in o.message
    ctx2 = CheckContext(
        project=ctx.project, today=ctx.today, settings={}, capabilities=ctx.capabilities
    )
    [o] = mt.ood_detected.run(ctx2, ctx.project)
    assert o.status is Status.ABSTAINED and "no model under test" in o.message


def test_derived_models_rerun_the_parents_suite(project):
    pruned = {"name": "pruned", "factory": "projmodels:build_pruned"}
    r = _worker(project, (TestName.DERIVED,), derived={"models": [pruned]})["derived_evaluation"]
    assert r.ok is False, r.message
    assert "pruned misses clean_accuracy (the parent met it)" in r.message
    names = {m.name for m in r.measurements}
    assert {"parent.clean_accuracy", "pruned.clean_accuracy"} <= names
    none = _worker(project, (TestName.DERIVED,))["derived_evaluation"]
    assert none.ok is None and "no derived artifact" in none.message


def test_quantised_model_passes_the_parents_suite_in_process(project):
    from dataclasses import replace

    from mlsvs.adapters.models.load import build
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.derived import evaluate
    from mlsvs.modeltest.session import model_source, run_with_model
    from mlsvs.modeltest.standard import StandardValues

    sec = section(derived={"models": [{"name": "int8", "factory": "projmodels:build_quantised"}]})
    cfg = replace(parse(sec), level="L2", standard=StandardValues(level="L2", values={}))

    def run(c, tests):
        model = build(model_source(c, project))
        return {r.name: r for r in run_with_model(model, c, project, [TestName(t) for t in tests])}

    r = evaluate(cfg, run)
    assert r.ok is True, r.message
    assert "int8: clean_accuracy pass, corruption_robustness pass" in r.message


def test_reproducibility_pinned_recipe_passes_unpinned_fails(project):
    model = factory_model("build_tree")
    data = {"test": "data/noisy_test.csv", "train": "data/noisy_train.csv", "label": "label"}
    names = (TestName.REPRODUCIBILITY,)
    ok = _worker(
        project,
        names,
        level="L3",
        model=model,
        data=data,
        reproducibility={"recipe": "projmodels:fit_tree", "seeds": [0]},
    )
    bad = _worker(
        project,
        names,
        level="L3",
        model=model,
        data=data,
        reproducibility={"recipe": "projmodels:fit_bootstrap_tree", "seeds": [0, 1]},
    )
    assert ok["reproducibility"].ok is True, ok["reproducibility"].message
    assert ok["reproducibility"].measurements[0].value == 0.0
    assert bad["reproducibility"].ok is False, bad["reproducibility"].message
    assert bad["reproducibility"].measurements[0].threshold == 0.01
    none = _run(project, names, level="L3")["reproducibility"]
    assert none.ok is None and "rebuild is impossible" in none.message


def test_compute_in_process_counts_raised_errors_as_rejections(project):
    # In `mlsvs verify` the check's own isolated process serves the model (LocalWorker):
    # scikit-learn raises ValueError on NaN there, which is a rejection, not a crash.
    r = _run(
        project,
        (TestName.COMPUTE,),
        compute={"repeats": 3, "fuzz_samples": 4, "ordinary_samples": 25},
    )["worst_case_compute"]
    assert r.ok is True, r.message
    assert "2 of 15 rejected" in r.message
