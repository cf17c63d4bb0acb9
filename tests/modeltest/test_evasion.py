"""Evasion attacks against a linear model whose minimal adversarial distance is known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from mlsvs.adapters.models.budget import BudgetedModel
from mlsvs.adapters.models.callable import CallableModel
from mlsvs.adapters.models.sklearn import SklearnModel
from mlsvs.adapters.models.spec import InputSpec
from mlsvs.modeltest.evasion.blackbox import hop_skip_jump, square
from mlsvs.modeltest.evasion.constraints import Constraints, Norm, project
from mlsvs.modeltest.evasion.curve import Attack, curve
from mlsvs.modeltest.evasion.whitebox import PgdParams, Schedule, fgsm, pgd

# Wide bounds so that clipping never hides the closed-form answer.
WIDE = InputSpec(shape=(5,), lower=(-20.0,), upper=(20.0,))


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) + 0.3 > 0).astype(int)
    clf = LogisticRegression(C=10.0).fit(x, y)
    model = SklearnModel(clf, WIDE)
    xs, ys = x[:40], y[:40]
    keep = model.predict(xs) == ys
    xs, ys = xs[keep], ys[keep]
    w, b = clf.coef_[0], clf.intercept_[0]
    margin = np.abs(xs @ w + b)
    dist = {Norm.LINF: margin / np.abs(w).sum(), Norm.L2: margin / np.linalg.norm(w)}
    return model, xs, ys, dist


@pytest.mark.parametrize("norm", [Norm.LINF, Norm.L2])
def test_pgd_flips_exactly_at_the_closed_form_distance(linear, norm):
    model, xs, ys, dist = linear
    params = PgdParams(norm=norm, steps=20, rel_step=0.1, random_start=False)
    for i in range(len(ys)):
        x, y, d = xs[i : i + 1], ys[i : i + 1], dist[norm][i]
        _, below = pgd(model, x, y, d * 0.97, params, np.random.default_rng(i))
        _, above = pgd(model, x, y, d * 1.03, params, np.random.default_rng(i))
        assert below[0] == y[0], f"point {i} broken below its margin {d}"
        assert above[0] != y[0], f"point {i} survived above its margin {d}"


@pytest.mark.parametrize("norm", [Norm.LINF, Norm.L2])
def test_curve_matches_prediction_and_is_monotone(linear, norm):
    model, xs, ys, dist = linear
    eps = (0.0, 0.1, 0.2, 0.4, 0.8)
    exact = PgdParams(norm=norm, steps=20, random_start=False)
    pts = curve(model, xs, ys, eps, attack=Attack.PGD, norm=norm, seed=0, pgd_params=exact)
    expected = [int((dist[norm] > e).sum()) for e in eps]
    assert [p.robust for p in pts] == expected
    # Default PGD (random start, 10 steps): only points within 10 % of ε may differ.
    default = curve(model, xs, ys, eps, attack=Attack.PGD, norm=norm, seed=0)
    for p, e in zip(default, eps, strict=True):
        near = int((np.abs(dist[norm] - e) <= 0.1 * e).sum())
        assert abs(p.robust - int((dist[norm] > e).sum())) <= near
    accs = [p.accuracy for p in pts]
    assert accs == sorted(accs, reverse=True)
    # FGSM is exact on a linear model too; the black-box attacks never beat white-box.
    f = curve(model, xs, ys, eps, attack=Attack.FGSM, norm=norm, seed=0)
    assert [p.robust for p in f] == expected
    s = curve(model, xs, ys, eps, attack=Attack.SQUARE, norm=norm, seed=0, queries_per_input=300)
    assert all(sp.robust >= p.robust for sp, p in zip(s, pts, strict=True))


def test_hopskipjump_finds_distances_close_to_the_l2_margin(linear):
    model, xs, ys, dist = linear
    found, used = hop_skip_jump(
        model, xs[:10], ys[:10], Norm.L2, queries_per_input=600, rng=np.random.default_rng(0)
    )
    assert np.all(found >= dist[Norm.L2][:10] * 0.999)  # never below the true minimum
    assert np.median(found / dist[Norm.L2][:10]) < 1.1
    assert np.all(used <= 600)


def test_square_respects_budget_and_is_seeded(linear):
    model, xs, ys, _ = linear
    counted = BudgetedModel(model, budget=None)
    a1, _p1, used = square(
        counted, xs, ys, 0.3, Norm.LINF, queries_per_input=50, rng=np.random.default_rng(7)
    )
    a2, _p2, _ = square(
        model, xs, ys, 0.3, Norm.LINF, queries_per_input=50, rng=np.random.default_rng(7)
    )
    np.testing.assert_array_equal(a1, a2)
    assert used.max() <= 50
    assert np.abs(a1 - xs).max() <= 0.3 + 1e-9


def test_tabular_constraints_stay_valid():
    spec = InputSpec(
        shape=(7,),
        lower=(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        upper=(1.0, 1.0, 10.0, 1.0, 1.0, 1.0, 1.0),
        integer_features=(2,),
        one_hot_groups=((3, 4, 5),),
        fixed_features=(6,),
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(50, 7))
    x[:, 2] = rng.integers(0, 11, 50)
    x[:, 3:6] = np.eye(3)[rng.integers(0, 3, 50)]

    def fn(z):
        s = z[:, 0] - z[:, 1] + 0.1 * z[:, 2] + z[:, 3] - z[:, 5] + z[:, 6]
        return np.stack([s, -s], axis=1)

    model = CallableModel(fn, spec, 2)
    y = model.predict(x)
    for norm, eps in ((Norm.LINF, 1.0), (Norm.L2, 2.0)):
        adv, _, _ = square(model, x, y, eps, norm, queries_per_input=100, rng=rng)
        assert (
            np.all(adv >= 0) and np.all(adv[:, [0, 1, 3, 4, 5, 6]] <= 1) and np.all(adv[:, 2] <= 10)
        )
        assert np.all(adv[:, 2] == np.round(adv[:, 2]))
        assert np.all(adv[:, 3:6].sum(axis=1) == 1) and np.all(np.isin(adv[:, 3:6], (0, 1)))
        np.testing.assert_array_equal(adv[:, 6], x[:, 6])
        d = adv - x
        norms = np.abs(d).max(axis=1) if norm is Norm.LINF else np.linalg.norm(d, axis=1)
        assert np.all(norms <= eps + 1e-9)
    c = Constraints(spec=spec)
    moved = project(x + 0.4, x, 0.5, Norm.LINF, c)
    np.testing.assert_array_equal(moved[:, 2], x[:, 2])  # 0.4 rounds back toward x0


def test_pgd_schedules_and_restarts_never_increase_robust_accuracy(linear):
    model, xs, ys, _ = linear
    rng = np.random.default_rng(0)
    base = pgd(model, xs, ys, 0.3, PgdParams(steps=5), rng)[1]
    for sched in Schedule:
        more = pgd(model, xs, ys, 0.3, PgdParams(steps=10, restarts=3, schedule=sched), rng)[1]
        assert (more == ys).sum() <= (base == ys).sum()
    assert fgsm(model, xs, ys, 0.0, Norm.LINF).shape == xs.shape


@pytest.mark.heavy  # imports ART (the optional `art` extra)
def test_art_attacks_are_breadth_only_and_decided_by_mlsvs(linear):
    pytest.importorskip("art")
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.robustness import blackbox

    model, xs, ys, dist = linear
    cfg = parse(
        {
            "seed": 0,
            "model": {"factory": "m:f", "n_classes": 2},
            "input": {"shape": [5], "lower": -20.0, "upper": 20.0},
            "robustness": {
                "epsilon": 0.3,
                "norm": "l2",
                "queries_per_input": 200,
                "art_attacks": ["HopSkipJump"],
                "art_max_iter": 10,
                "blackbox_robust_accuracy_min": 0.1,
            },
        }
    )
    res = blackbox(
        BudgetedModel(model, budget=None), Dataset(x=xs, y=ys, features=(), source="t"), cfg
    )
    art_acc = float(dict(res.facts)["art.HopSkipJump.robust_accuracy"])
    true_acc = float((dist[Norm.L2] > 0.3).mean())
    assert art_acc >= true_acc - 1e-9  # ART cannot beat the closed-form minimum
    assert res.measurements[0].value == pytest.approx(true_acc, abs=0.05)  # native number


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**31 - 1),
    st.sampled_from([Norm.LINF, Norm.L2]),
    st.floats(0.01, 3.0),
)
def test_projection_always_lands_in_the_ball_and_the_domain(seed, norm, eps):
    spec = InputSpec(
        shape=(6,), lower=(-1.0, 0, 0, 0, 0, 0), upper=(1.0, 5, 1, 1, 1, 1),
        integer_features=(1,), one_hot_groups=((2, 3, 4),), fixed_features=(5,),
        scale=(0.5, 2.0, 1.0, 1.0, 1.0, 1.0),
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    x0 = np.c_[rng.uniform(-1, 1, 8), rng.integers(0, 6, 8), np.eye(3)[rng.integers(0, 3, 8)],
               rng.uniform(0, 1, 8)]  # fmt: skip
    out = project(x0 + rng.normal(scale=3, size=x0.shape), x0, eps, norm, Constraints(spec=spec))
    d = (out - x0) / np.array([0.5, 2.0, 1.0, 1.0, 1.0, 1.0])
    size = np.abs(d).max(axis=1) if norm is Norm.LINF else np.linalg.norm(d, axis=1)
    assert np.all(size <= eps + 1e-9)
    assert np.all(out[:, 0] >= -1) and np.all(out[:, 0] <= 1)
    assert np.all(out[:, 1] == np.round(out[:, 1])) and np.all((out[:, 1] >= 0) & (out[:, 1] <= 5))
    assert np.all(out[:, 2:5].sum(axis=1) == 1)
    np.testing.assert_array_equal(out[:, 5], x0[:, 5])


def test_masked_gradients_fail_the_sanity_checks(linear):
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.robustness import whitebox

    model, xs, ys, _ = linear
    masked = CallableModel(model.predict_proba, WIDE, 2, grad_fn=lambda x, y: np.zeros_like(x))
    cfg = parse({
        "seed": 0, "model": {"factory": "m:f", "n_classes": 2},
        "input": {"shape": [5], "lower": -20.0, "upper": 20.0},
        "robustness": {"epsilon": 0.5, "queries_per_input": 200, "robust_accuracy_min": 0.1},
    })  # fmt: skip
    data = Dataset(x=xs, y=ys, features=(), source="t")
    res = whitebox(BudgetedModel(masked, budget=None), data, cfg)
    facts = dict(res.facts)
    # the worst case (black-box included) stays above the limit, but the number rests on
    # masked gradients: not verified, masking named
    assert res.ok is None and "gradient masking" in res.message and "not verified" in res.message
    assert facts["sanity.blackbox_not_stronger"] == "fail"
    assert facts["sanity.unbounded_reaches_zero"] == "fail"
    honest = whitebox(BudgetedModel(model, budget=None), data, cfg)
    assert honest.ok is True and all(v == "pass" for v in dict(honest.facts).values())


@pytest.mark.parametrize("norm", [Norm.LINF, Norm.L2])
def test_per_feature_scale_matches_the_scaled_closed_form(linear, norm):
    model, xs, ys, _ = linear
    unit = np.array([0.5, 2.0, 1.0, 3.0, 0.25])
    spec = InputSpec(shape=(5,), lower=(-20.0,), upper=(20.0,), scale=tuple(unit))
    scaled = CallableModel(model.predict_proba, spec, 2, grad_fn=model.loss_gradient)
    clf = model._est
    w, b = clf.coef_[0], clf.intercept_[0]
    margin = np.abs(xs @ w + b)
    d = margin / (np.abs(w * unit).sum() if norm is Norm.LINF else np.linalg.norm(w * unit))
    params = PgdParams(norm=norm, steps=20, rel_step=0.1, random_start=False)
    for i in range(0, len(ys), 3):
        x, y = xs[i : i + 1], ys[i : i + 1]
        _, below = pgd(scaled, x, y, d[i] * 0.97, params, np.random.default_rng(i))
        adv, above = pgd(scaled, x, y, d[i] * 1.03, params, np.random.default_rng(i))
        assert below[0] == y[0] and above[0] != y[0]
        delta = (adv - x)[0] / unit
        size = np.abs(delta).max() if norm is Norm.LINF else np.linalg.norm(delta)
        assert size <= d[i] * 1.03 + 1e-9
    found, _ = hop_skip_jump(
        scaled, xs[:6], ys[:6], norm, queries_per_input=800, rng=np.random.default_rng(0)
    )
    assert np.all(found >= d[:6] * 0.999)
