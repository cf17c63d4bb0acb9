"""The MLC6xx checks end to end: model loaded in a spawned worker, fail-closed outcomes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mlsvs.checks.behaviour import model_tests as mt
from mlsvs.modeltest.result import TestName
from mlsvs.modeltest.session import run_tests
from mlsvs.plugin import Capability, CheckContext, Project, Status
from tests.modeltest import projmodels
from tests.modeltest.conftest import section


def _ctx(root, sec, grants=(Capability.MODEL_EXECUTION,)):
    project = Project(root=root, name="p", traits=frozenset())
    settings = {"model_tests": sec} if sec is not None else {}
    return CheckContext(
        project=project,
        today=date(2026, 1, 1),
        options={},
        settings=settings,
        capabilities=frozenset(grants),
    ), project


def test_checks_declare_requirements_and_isolation():
    expected = {
        "MLC601": ("M6.1.1",),
        "MLC602": ("M6.2.1",),
        "MLC603": ("M6.2.2",),
        "MLC610": ("M7.2.1",),
        "MLC611": ("M7.2.2",),
        "MLC620": ("M8.2.2",),
        "MLC621": ("M7.1.1",),
        "MLC650": ("M7.1.3",),
        "MLC651": ("M6.3.1",),
        "MLC652": ("M6.3.2",),
        "MLC653": ("M6.4.2",),
        "MLC654": ("M7.2.3",),
        "MLC655": ("M6.1.3",),
        "MLC656": ("M5.2.1",),
        "MLC657": ("M6.1.4",),
        "MLC658": ("M3.1.3",),
    }
    checks = {c.id: c for c in vars(mt).values() if hasattr(c, "requirements") and hasattr(c, "fn")}
    assert {k: v.requirements for k, v in checks.items()} == expected
    for c in checks.values():
        assert Capability.MODEL_EXECUTION in c.capabilities
        assert c.isolation.value == "process" and c.description


def test_without_a_model_under_test_the_checks_abstain(project):
    ctx, p = _ctx(project, None)
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.ABSTAINED
    assert "no model under test declared" in outcome.message


def test_without_model_exec_grant_is_not_verified(project):
    ctx, p = _ctx(project, section(), grants=())
    [outcome] = mt.membership_inference.run(ctx, p)
    assert outcome.status is Status.ERROR and "--allow model-exec" in outcome.message


def test_unknown_key_is_reported(project):
    ctx, p = _ctx(project, section(robustness={"epsilonn": 0.1}))
    [outcome] = mt.whitebox_evasion.run(ctx, p)
    assert outcome.status is Status.ERROR and "epsilonn" in outcome.message


def test_accuracy_passes_with_measurement_through_the_worker(project):
    ctx, p = _ctx(project, section())
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.PASS, outcome.message
    [m] = outcome.measurements
    assert m.name == "clean_accuracy" and m.lower < m.value <= m.upper and m.threshold == 0.9
    assert dict(m.parameters)["seed"] == "3"


def test_all_tests_in_one_worker_are_reproducible(project):
    sec = section()
    names = [n for n in TestName if n not in (TestName.COMPUTE, TestName.DERIVED)]  # timings vary
    first = run_tests(sec, project, names, model_exec=True, network=False)
    second = run_tests(sec, project, names, model_exec=True, network=False)
    assert [r.measurements for r in first] == [r.measurements for r in second]
    by = {r.name: r for r in first}
    assert by["clean_accuracy"].ok is True
    assert by["whitebox_evasion"].ok is not None, by["whitebox_evasion"].message
    wb = by["whitebox_evasion"].measurements[0]
    assert wb.x_label == "epsilon" and [p.x for p in wb.series] == [0.0, 0.05, 0.1, 0.2]
    ys = [p.y for p in wb.series]
    assert ys == sorted(ys, reverse=True)
    assert dict(by["whitebox_evasion"].facts)["sanity.blackbox_not_stronger"] == "pass"
    assert by["output_minimisation"].ok is False  # sklearn returns full probabilities
    assert by["attribute_inference"].ok is None  # no sensitive column declared
    fid = by["extraction"].measurements[0]
    assert [p.x for p in fid.series] == [10.0, 50.0, 200.0]


def test_budget_exhaustion_is_errored(project):
    ctx, p = _ctx(project, section(query_budget=50))
    [outcome] = mt.whitebox_evasion.run(ctx, p)
    assert outcome.status is Status.ERROR and "budget of 50 exhausted" in outcome.message


def test_wrong_input_shape_is_errored(project):
    ctx, p = _ctx(project, section(input={"shape": [5]}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.ERROR
    assert "shape" in outcome.message and "Traceback" not in outcome.message


def test_declared_inputs_that_are_absent_are_not_verified_with_the_gap(project):
    ctx, p = _ctx(project, section(data={"test": "data/gone.csv"}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.NOT_VERIFIED, outcome.message
    assert [(g.item, g.reason.value) for g in outcome.gaps] == [("data/gone.csv", "not_present")]
    onnx = {**section(), "model": {"kind": "onnx", "trusted_model": "models/gone.onnx",
                                   "n_classes": 2}}  # fmt: skip
    ctx, p = _ctx(project, onnx)
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.NOT_VERIFIED, outcome.message
    assert [(g.item, g.reason.value) for g in outcome.gaps] == [("models/gone.onnx", "not_present")]
    ctx, p = _ctx(project, section(model={"factory": "projmodels:build_broken"}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)  # the project's code failed: an error
    assert outcome.status is Status.ERROR and not outcome.gaps


def test_missing_data_column_is_errored(project):
    ctx, p = _ctx(project, section(data={"label": "target"}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.ERROR and "lacks column(s): target" in outcome.message


def test_broken_factory_is_errored(project):
    ctx, p = _ctx(project, section(model={"factory": "projmodels:build_broken"}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.ERROR and "factory exploded" in outcome.message


def test_trusted_onnx_file_and_npz_data(project):
    from skl2onnx import to_onnx

    onx = to_onnx(
        projmodels.build_linear(), np.zeros((1, 6), dtype=np.float32), options={"zipmap": False}
    )
    (project / "models").mkdir()
    (project / "models" / "clf.onnx").write_bytes(onx.SerializeToString())
    _, _, xte, yte = projmodels.train_split()
    np.savez(project / "data" / "test.npz", x=xte, y=yte)
    sec = section(
        model={"kind": "onnx", "trusted_model": "models/clf.onnx", "factory": "x:y"},
        data={"test": "data/test.npz"},
    )
    del sec["model"]["factory"]  # type: ignore[attr-defined]
    res = run_tests(
        sec,
        project,
        [TestName.ACCURACY, TestName.WHITEBOX, TestName.BLACKBOX],
        model_exec=True,
        network=False,
    )
    assert res[0].ok is True
    assert res[1].ok is None and "no input gradient" in res[1].message
    assert res[2].ok is not None and res[2].measurements[0].name == "blackbox_robust_accuracy"


def test_torch_factory_with_safetensors_weights(project):
    from safetensors.torch import save_file

    module = projmodels.build_torch()
    for prm in module.parameters():
        prm.data.fill_(0.1)
    save_file(module.state_dict(), str(project / "w.safetensors"))
    sec = section(
        model={
            "kind": "torch",
            "factory": "projmodels:build_torch",
            "trusted_model": "w.safetensors",
            "device": "cpu",
        }
    )
    sec["accuracy"] = {"samples": 50}
    [res] = run_tests(sec, project, [TestName.ACCURACY], model_exec=True, network=False)
    # constant weights: every input gets the same class, accuracy = that class's share
    _, _, _, yte = projmodels.train_split()
    share = max(np.mean(yte[:300] == 0), np.mean(yte[:300] == 1))
    assert res.ok is True and 0.2 < res.measurements[0].value <= share + 0.2


def test_untrusted_model_path_outside_project_rejected(project):
    from mlsvs.adapters.models.errors import ModelLoadError

    sec = section(model={"kind": "onnx", "trusted_model": "../x.onnx"})
    with pytest.raises(ModelLoadError, match="outside the project"):
        run_tests(sec, project, [TestName.ACCURACY], model_exec=True, network=False)


def test_runs_inside_the_engines_isolated_daemon_process(project):
    from mlsvs.engine.isolated import run_isolated

    ctx, p = _ctx(project, section())
    [outcome] = run_isolated(
        "mlsvs.checks.behaviour.model_tests:clean_accuracy_measured", ctx, p, 120.0
    )
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.measurements[0].name == "clean_accuracy"


def test_declared_kind_must_match_what_the_factory_returns(project):
    from mlsvs.adapters.models.errors import ModelLoadError

    sec = section(model={"kind": "torch"})
    with pytest.raises(ModelLoadError, match="'torch' declared"):
        run_tests(sec, project, [TestName.ACCURACY], model_exec=True, network=False)


def test_lira_shadow_models_are_trained_in_the_worker(project):
    sec = section(
        model={"factory": "projmodels:build_tree"},
        data={"test": "data/noisy_test.csv", "train": "data/noisy_train.csv"},
        privacy={"recipe": "projmodels:fit_tree", "shadow_models": 4, "samples": 100},
    )
    [res] = run_tests(sec, project, [TestName.MEMBERSHIP], model_exec=True, network=False)
    assert "lira AUC" in res.message
    auc = next(m for m in res.measurements if m.name == "mia_auc")
    assert auc.value > 0.6 and res.ok is False  # a deep tree on noisy labels leaks
    assert dict(auc.parameters)["shadow_models"] == "4"


def test_hanging_model_is_killed_and_errored(project):
    ctx, p = _ctx(project, section(timeout_s=1, model={"factory": "projmodels:build_slow"}))
    [outcome] = mt.clean_accuracy_measured.run(ctx, p)
    assert outcome.status is Status.ERROR and "did not answer within 1 s" in outcome.message


def test_skops_model_loads_only_after_its_types_are_reviewed(project):
    pytest.importorskip("skops")
    import skops.io as sio

    sio.dump(projmodels.build_tree(), project / "tree.skops")
    base = section(
        model={"kind": "sklearn", "trusted_model": "tree.skops"},
        data={"test": "data/noisy_test.csv", "train": "data/noisy_train.csv"},
    )
    del base["model"]["factory"]  # type: ignore[attr-defined]
    from mlsvs.adapters.models.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match=r"nobody reviewed: sklearn\.tree\._tree\.Tree"):
        run_tests(base, project, [TestName.ACCURACY], model_exec=True, network=False)

    reviewed = section(
        model={"kind": "sklearn", "trusted_model": "tree.skops",
               "trusted_types": sio.get_untrusted_types(file=project / "tree.skops")},
        data={"test": "data/noisy_test.csv"}, accuracy={"samples": 100},
    )  # fmt: skip
    del reviewed["model"]["factory"]  # type: ignore[attr-defined]
    [res] = run_tests(reviewed, project, [TestName.ACCURACY], model_exec=True, network=False)
    assert res.measurements[0].name == "clean_accuracy", res.message
    (project / "m.pkl").write_bytes(b"not loaded")
    pickled = section(model={"kind": "sklearn", "trusted_model": "m.pkl"})
    with pytest.raises(ModelLoadError, match="never loaded"):
        run_tests(pickled, project, [TestName.ACCURACY], model_exec=True, network=False)
