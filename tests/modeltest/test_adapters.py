from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from mlsvs.adapters.models.budget import BudgetedModel
from mlsvs.adapters.models.callable import CallableModel
from mlsvs.adapters.models.errors import BudgetExhaustedError, InputShapeError, ModelTestError
from mlsvs.adapters.models.onnxrt import OnnxModel
from mlsvs.adapters.models.sklearn import SklearnModel
from mlsvs.adapters.models.spec import FeatureType, InputSpec, OutputKind
from mlsvs.adapters.models.torch import TorchModel
from tests.modeltest import projmodels

SPEC = InputSpec(shape=(6,), lower=(0.0,), upper=(1.0,))


def _finite_diff(model, x, y, h=1e-4):
    def loss(z):
        p = model.predict_proba(z)
        return -np.log(p[np.arange(len(y)), y]).sum()

    g = np.zeros_like(x, dtype=np.float64)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            e = np.zeros_like(x, dtype=np.float64)
            e[i, j] = h
            g[i, j] = (loss(x + e) - loss(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_regression_gradient_matches_finite_differences(n_classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6))
    y = rng.integers(0, n_classes, 200)
    m = SklearnModel(LogisticRegression().fit(x, y), SPEC)
    assert m.has_gradient and m.n_classes == n_classes
    xs = x[:5]
    np.testing.assert_allclose(m.loss_gradient(xs, y[:5]), _finite_diff(m, xs, y[:5]), atol=1e-5)


def test_torch_gradient_matches_finite_differences():
    module = projmodels.build_torch().double()
    m = TorchModel(module, InputSpec(shape=(6,), dtype="float64"), 2, device="cpu")
    x = np.random.default_rng(1).uniform(size=(4, 6))
    y = np.array([0, 1, 1, 0])
    np.testing.assert_allclose(m.loss_gradient(x, y), _finite_diff(m, x, y), atol=1e-5)
    assert m.predict_proba(x).shape == (4, 2)


def test_onnx_adapter_matches_sklearn(tmp_path):
    from skl2onnx import to_onnx

    est = projmodels.build_linear()
    path = tmp_path / "m.onnx"
    path.write_bytes(to_onnx(est, np.zeros((1, 6), dtype=np.float32)).SerializeToString())
    onnx_model = OnnxModel(str(path), SPEC, 2)
    x = np.random.default_rng(2).uniform(size=(20, 6)).astype(np.float32)
    np.testing.assert_allclose(onnx_model.predict_proba(x), est.predict_proba(x), atol=1e-5)
    assert not onnx_model.has_gradient
    with pytest.raises(ModelTestError):
        onnx_model.loss_gradient(x, np.zeros(20, dtype=int))


def test_callable_adapter_detects_labels_and_logits():
    labels = CallableModel(lambda x: (x[:, 0] > 0.5).astype(int), SPEC, 2)
    assert labels.output_kind is OutputKind.LABELS
    logits = CallableModel(lambda x: np.stack([x[:, 0], -x[:, 0]], axis=1) * 5, SPEC, 2)
    p = logits.predict_proba(np.full((3, 6), 0.9))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert logits.output_kind is OutputKind.PROBABILITIES


def test_wrong_input_shape_is_a_clear_error():
    m = SklearnModel(projmodels.build_linear(), SPEC)
    with pytest.raises(InputShapeError, match="per-sample shape"):
        m.predict_proba(np.zeros((2, 5)))


def test_budget_counts_distinct_rows_and_raises_when_exhausted():
    m = BudgetedModel(SklearnModel(projmodels.build_linear(), SPEC), budget=10)
    x = np.random.default_rng(3).uniform(size=(8, 6))
    m.predict_proba(x)
    m.predict_proba(x)  # cached: free
    assert (m.queries, m.cache_hits) == (8, 8)
    m.predict_proba(x[:2] + 0.01)
    assert m.used == 10
    with pytest.raises(BudgetExhaustedError, match="budget of 10 exhausted"):
        m.predict_proba(x + 0.02)
    with pytest.raises(BudgetExhaustedError):
        m.loss_gradient(x[:1] + 0.5, np.array([0]))


def test_input_spec_validation_and_feature_types():
    spec = InputSpec(
        shape=(5,), integer_features=(0,), one_hot_groups=((2, 3),), fixed_features=(4,)
    )
    assert spec.feature_types() == (
        FeatureType.INTEGER,
        FeatureType.CONTINUOUS,
        FeatureType.ONE_HOT,
        FeatureType.ONE_HOT,
        FeatureType.FIXED,
    )
    with pytest.raises(InputShapeError):
        InputSpec(shape=(3,), integer_features=(5,))
    with pytest.raises(InputShapeError):
        InputSpec(shape=(3,), lower=(0.0, 0.0))


def test_torch_module_gradient_is_input_only():
    module = projmodels.build_torch()
    m = TorchModel(module, SPEC, 2, device="cpu")
    x = np.random.default_rng(4).uniform(size=(3, 6)).astype(np.float32)
    m.loss_gradient(x, np.array([0, 1, 0]))
    assert all(p.grad is None for p in module.parameters())
    assert isinstance(module, torch.nn.Module)


class _Inert:
    """A non-tensor object: torch.load(weights_only=True) must refuse to rebuild it."""


def test_torch_weights_load_only_with_weights_only(tmp_path):
    import shutil
    from pathlib import Path

    from mlsvs.adapters.models.errors import ModelLoadError
    from mlsvs.adapters.models.load import ModelKind, ModelSource, build

    shutil.copy(Path(__file__).with_name("projmodels.py"), tmp_path / "projmodels.py")
    module = projmodels.build_torch()
    torch.save(module.state_dict(), tmp_path / "w.pt")
    torch.save({"payload": _Inert()}, tmp_path / "bad.pt")
    spec = InputSpec(shape=(6,))

    def source(path):
        return ModelSource(
            kind=ModelKind.TORCH,
            root=str(tmp_path),
            spec=spec,
            n_classes=2,
            factory="projmodels:build_torch",
            trusted_model=path,
            device="cpu",
        )

    model = build(source("w.pt"))
    x = np.random.default_rng(0).uniform(size=(3, 6)).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(module(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(model.predict_proba(x), expected, atol=1e-6)
    with pytest.raises(ModelLoadError, match="cannot load weights"):
        build(source("bad.pt"))
    with pytest.raises(ModelLoadError, match="ONNX, skops, safetensors or torch"):
        (tmp_path / "m.pkl").write_bytes(b"\x80\x04N.")
        build(source("m.pkl"))
