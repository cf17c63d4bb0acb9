"""Membership and attribute inference against models that do and do not leak."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier

from mlsvs.adapters.models.budget import BudgetedModel
from mlsvs.adapters.models.sklearn import SklearnModel
from mlsvs.adapters.models.spec import InputSpec
from mlsvs.modeltest.config import parse
from mlsvs.modeltest.data import Dataset
from mlsvs.modeltest.metrics import auc_only, roc, wilson
from mlsvs.modeltest.privacy.attribute import attribute_inference
from mlsvs.modeltest.privacy.membership import membership

SPEC = InputSpec(shape=(10,), lower=(-10.0,), upper=(10.0,))


def _noisy(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    y = ((x[:, 0] + 2.0 * rng.normal(size=n)) > 0).astype(int)  # heavy label noise
    return x, y


def _cfg(**privacy):
    return parse(
        {
            "seed": 1,
            "model": {"factory": "m:f", "n_classes": 2},
            "input": {"shape": [10]},
            "privacy": {"samples": 400, "bootstrap": 50, **privacy},
        }
    )


def _ds(x, y, name):
    return Dataset(x=x, y=y, features=tuple(f"f{i}" for i in range(x.shape[1])), source=name)


def _run(est, cfg, trainer=None, n_non=400):
    xtr, ytr = _noisy(400, 0)
    xte, yte = _noisy(n_non, 1)
    model = BudgetedModel(SklearnModel(est.fit(xtr, ytr), SPEC), budget=None)
    return membership(model, _ds(xtr, ytr, "train"), _ds(xte, yte, "test"), cfg, trainer)


def _auc(result):
    return next(m for m in result.measurements if m.name == "mia_auc").value


def test_overfit_model_leaks_and_fails():
    res = _run(KNeighborsClassifier(n_neighbors=1), _cfg(mia_auc_max=0.6))
    assert _auc(res) > 0.65  # clearly above chance
    assert res.ok is False
    roc_m = next(m for m in res.measurements if m.name == "mia_auc")
    assert roc_m.x_log and roc_m.series and all(p.x > 0 for p in roc_m.series)
    assert roc_m.lower is not None and roc_m.lower < roc_m.value < roc_m.upper
    tpr = next(m for m in res.measurements if m.name == "mia_tpr_at_1pct_fpr")
    assert "needs >= 1000 non-members, has 400" in dict(tpr.parameters)["decidable"]


def test_regularised_model_stays_near_chance_and_passes():
    cfg = _cfg(mia_auc_max=0.6, mia_tpr_at_1pct_fpr_max=0.1)
    res = _run(LogisticRegression(C=0.01), cfg, n_non=1500)  # every non-member is used
    assert 0.4 < _auc(res) < 0.58
    assert res.ok is True, res.message
    assert "1500 non-members" in res.message
    tpr = next(m for m in res.measurements if m.name == "mia_tpr_at_1pct_fpr")
    assert tpr.lower is not None and tpr.lower <= tpr.value <= tpr.upper


def test_low_fpr_figure_the_sample_cannot_support_is_not_decided():
    cfg = _cfg(mia_auc_max=0.6, mia_tpr_at_1pct_fpr_max=0.1)
    res = _run(LogisticRegression(C=0.01), cfg, n_non=400)
    assert res.ok is None
    assert "needs >= 1000 non-members" in res.message and "only 400 available" in res.message


def test_no_threshold_means_not_verified():
    assert _run(LogisticRegression(), _cfg()).ok is None


def test_lira_with_training_recipe_finds_members():
    from sklearn.tree import DecisionTreeClassifier

    def trainer(x, y, seed):
        return SklearnModel(DecisionTreeClassifier(random_state=seed).fit(x, y), SPEC)

    res = _run(
        DecisionTreeClassifier(random_state=0),
        _cfg(recipe="m:fit", shadow_models=8, mia_auc_max=0.6),
        trainer,
    )
    assert "lira AUC" in res.message
    assert _auc(res) > 0.75 and res.ok is False


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=2, max_size=40),
    st.lists(st.integers(0, 5), min_size=2, max_size=40),
)
def test_roc_auc_agrees_with_sklearn_including_ties(pos, neg):
    p, n = np.array(pos, float), np.array(neg, float)
    expected = roc_auc_score(np.r_[np.ones(len(p)), np.zeros(len(n))], np.r_[p, n])
    assert roc(p, n).auc == pytest.approx(expected)
    assert auc_only(p, n) == pytest.approx(expected)


def test_tpr_at_fpr_and_wilson():
    r = roc(np.array([5.0, 4.0, 3.0, 0.0]), np.array([3.5, 1.0, 0.5, 0.2]))
    assert r.tpr_at(0.0) == 0.5 and r.tpr_at(0.25) == 0.75 and r.advantage == 0.5
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)


def _attr_data(n, seed):
    rng = np.random.default_rng(seed)
    pub = rng.normal(size=(n, 3))
    s = rng.integers(0, 2, n).astype(float)  # sensitive, independent of public features
    y = ((2 * s - 1) * 2 + pub[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return np.c_[pub, s], y


@pytest.mark.parametrize(("uses_sensitive", "leaks"), [(True, True), (False, False)])
def test_attribute_inference_advantage(uses_sensitive, leaks):
    x, y = _attr_data(600, 0)
    spec = InputSpec(shape=(4,), lower=(-10.0,), upper=(10.0,))
    cols = [0, 1, 2, 3] if uses_sensitive else [0, 1, 2]

    def fn(z):
        return clf.predict_proba(z[:, cols])

    from mlsvs.adapters.models.callable import CallableModel

    clf = LogisticRegression().fit(x[:, cols], y)
    model = BudgetedModel(CallableModel(fn, spec, 2), budget=None)
    cfg = parse(
        {
            "seed": 0,
            "model": {"factory": "m:f", "n_classes": 2},
            "input": {"shape": [4]},
            "data": {"sensitive": "s"},
            "privacy": {"samples": 600, "attribute_advantage_max": 0.1},
        }
    )
    data = Dataset(x=x, y=y, features=("a", "b", "c", "s"), source="train")
    res = attribute_inference(model, data, cfg)
    adv = res.measurements[0].value
    if leaks:
        assert adv > 0.2 and res.ok is False
    else:
        assert abs(adv) < 0.08 and res.ok is True


def test_scores_from_logits_do_not_tie_where_float32_softmax_saturates():
    """An overfit model's confident members all get p = 1.0 in float32; log-space scores from
    the logits keep them apart, so TPR at low FPR is not erased by ties."""
    from mlsvs.adapters.models._common import log_softmax
    from mlsvs.modeltest.privacy.scores import threshold_scores

    rng = np.random.default_rng(0)
    logits = np.c_[np.zeros(500), rng.uniform(20, 60, 500)]  # confident, varying margins
    y = np.ones(500, dtype=int)
    e = np.exp(logits.astype(np.float32) - logits.max(axis=1, keepdims=True).astype(np.float32))
    p32 = e / e.sum(axis=1, keepdims=True)
    assert len(np.unique(p32[:, 1])) == 1  # float32 softmax: every one is exactly 1.0
    s = threshold_scores("logit", log_softmax(logits), y)
    assert len(np.unique(s)) == 500  # float64 log-softmax: all distinct
    np.testing.assert_allclose(s, logits[:, 1], rtol=1e-9)  # = the logit margin


def test_lira_interval_includes_shadow_model_variance():
    from sklearn.tree import DecisionTreeClassifier

    def trainer(x, y, seed):
        return SklearnModel(DecisionTreeClassifier(random_state=seed).fit(x, y), SPEC)

    res = _run(
        DecisionTreeClassifier(random_state=0),
        _cfg(recipe="m:fit", shadow_models=6, mia_auc_max=0.6, attacks=["loss"]),
        trainer,
    )
    auc = next(m for m in res.measurements if m.name == "mia_auc")
    params = dict(auc.parameters)
    assert params["strongest"] == "lira", params
    assert "shadow models" in params["interval"]
    assert auc.lower is not None and auc.lower <= auc.value <= auc.upper
