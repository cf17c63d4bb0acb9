"""Masking cannot fool the evasion tests: logit scaling (saturated softmax), probability-only
outputs that saturate, and non-differentiable (quantising) layers, on real tiny torch models
trained at test time, each next to the healthy model it was derived from."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlsvs.adapters.models.budget import BudgetedModel  # noqa: E402
from mlsvs.adapters.models.callable import CallableModel  # noqa: E402
from mlsvs.adapters.models.spec import InputSpec  # noqa: E402
from mlsvs.adapters.models.torch import TorchModel  # noqa: E402
from mlsvs.modeltest.config import parse  # noqa: E402
from mlsvs.modeltest.data import Dataset  # noqa: E402
from mlsvs.modeltest.robustness import blackbox, whitebox  # noqa: E402

SPEC = InputSpec(shape=(8,), lower=(0.0,), upper=(1.0,))
EPS = 0.1
LIMIT = 0.6  # the healthy model's true robust accuracy is below this: it must fail


class Scaled(torch.nn.Module):
    """Same decisions as ``inner``, logits times ``k``: softmax saturates to exactly 0/1."""

    def __init__(self, inner: torch.nn.Module, k: float) -> None:
        super().__init__()
        self.inner, self.k = inner, k

    def forward(self, x):
        return self.inner(x) * self.k


class Quantised(torch.nn.Module):
    """Rounds the input to 1/4 steps first: the gradient through ``round`` is zero."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(torch.round(x * 4) / 4)


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 8)).astype(np.float32)
    w = np.array([2.0, -1.5, 1.0, 0.5, -1.0, 1.5, -0.5, 0.0])
    y = ((x - 0.5) @ w > 0).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    x, y = _data(2000, 0)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    xs, ys = _data(120, 1)
    return net, Dataset(x=xs, y=ys, features=(), source="test")


def _cfg(**rob):
    return parse({
        "seed": 0, "model": {"factory": "m:f", "n_classes": 2}, "input": {"shape": [8]},
        "robustness": {"epsilon": EPS, "epsilons": [0.05, EPS, 0.2], "samples": 120,
                       "queries_per_input": 300, "crosscheck_samples": 40,
                       "robust_accuracy_min": LIMIT, "blackbox_robust_accuracy_min": LIMIT,
                       **rob},
    })  # fmt: skip


def _saturated_probabilities(net):
    """An API that returns float32 softmax of 1000x logits (probabilities only, no logits)."""

    def fn(x):
        with torch.no_grad():
            z = net(torch.from_numpy(np.asarray(x, dtype=np.float32))) * 1000
        return torch.softmax(z, dim=1).numpy()

    return CallableModel(fn, SPEC, 2)


def test_logit_scaled_model_gets_the_healthy_number_and_fails(trained):
    net, data = trained
    healthy = blackbox(BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None),
                       data, _cfg())  # fmt: skip
    scaled = blackbox(BudgetedModel(TorchModel(Scaled(net, 1000.0), SPEC, 2, device="cpu"),
                                    budget=None), data, _cfg())  # fmt: skip
    h, s = healthy.measurements[0].value, scaled.measurements[0].value
    assert h < LIMIT and healthy.ok is False, healthy.message
    assert abs(s - h) <= 0.05, (h, s)  # margins on float64 log-softmax: scale does not matter
    assert scaled.ok is False, scaled.message


def test_saturated_probability_api_cannot_pass(trained):
    net, data = trained
    model = BudgetedModel(_saturated_probabilities(net), budget=None)
    res = blackbox(model, data, _cfg())
    facts = dict(res.facts)
    assert float(facts["score_health.saturated"]) > 0.5
    assert facts["sanity.scores_informative"] == "fail"
    # the decision-based cross-check carries the verdict on every input
    assert dict(res.measurements[0].parameters)["hopskipjump_samples"] == str(len(data))
    assert res.ok is not True
    if res.ok is None:
        assert "saturated scores" in res.message


def test_whitebox_sees_through_logit_scaling(trained):
    net, data = trained
    healthy = whitebox(BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None),
                       data, _cfg(robust_accuracy_min=0.1))  # fmt: skip
    assert healthy.ok is True, healthy.message
    assert all(v == "pass" for k, v in healthy.facts if k.startswith("sanity."))
    scaled = whitebox(BudgetedModel(TorchModel(Scaled(net, 1000.0), SPEC, 2, device="cpu"),
                                    budget=None), data, _cfg(robust_accuracy_min=0.1))  # fmt: skip
    # worst case (logit-margin PGD, black-box) finds what cross-entropy PGD misses
    assert abs(scaled.measurements[0].value - healthy.measurements[0].value) <= 0.08
    assert scaled.ok is not True or scaled.measurements[0].value < LIMIT


def test_quantised_input_masks_gradients_and_is_not_verified(trained):
    net, data = trained
    model = BudgetedModel(TorchModel(Quantised(net), SPEC, 2, device="cpu"), budget=None)
    res = whitebox(model, data, _cfg(robust_accuracy_min=0.05))
    facts = dict(res.facts)
    assert res.ok is None and "masking" in res.message, res.message
    assert "fail" in (facts["sanity.unbounded_reaches_zero"], facts["sanity.blackbox_not_stronger"])


def test_large_budget_sanity_run_scales_its_step(trained):
    """A small absolute step_size must not make the unbounded run fail on a healthy model."""
    net, data = trained
    model = BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None)
    res = whitebox(model, data, _cfg(step_size=0.01, robust_accuracy_min=0.1))
    assert dict(res.facts)["sanity.unbounded_reaches_zero"] == "pass", res.message


def test_attack_results_are_reused_between_tests(trained):
    net, data = trained
    memo: dict = {}
    first = BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None)
    blackbox(first, data, _cfg(), memo)
    second = BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None)
    whitebox(second, data, _cfg(robust_accuracy_min=0.1), memo)
    assert second.queries < first.queries / 4  # Square and HopSkipJump were not rerun


def test_at_a_level_the_standard_sets_epsilon_budget_and_the_ratio_floor(trained):
    from dataclasses import replace

    from mlsvs.modeltest.standard import StandardValues

    net, data = trained
    run_values = {"M6.2.1.query_budget": 400}  # as a profile would assign (keeps the test fast)
    cfg = replace(_cfg(), level="L1", standard=StandardValues(level="L1", values=run_values))
    model = BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None)
    res = blackbox(model, data, cfg)
    params = dict(res.measurements[0].parameters)
    assert float(params["epsilon"]) == pytest.approx(1 / 255, rel=1e-4)  # standard, not 0.1
    assert params["queries_per_input"] == "400" and params["epsilon_source"] == "standard"
    ratio = next(m for m in res.measurements if m.name == "blackbox_robust_accuracy_ratio")
    assert ratio.threshold == 0.5
    # 120 test inputs < M6.2.1.min_samples (200 at L1): cannot pass
    assert res.ok is not True
    if res.ok is None:
        assert "needs >= 200 attacked samples" in res.message


@pytest.mark.parametrize("test", [blackbox, whitebox], ids=["blackbox", "whitebox"])
def test_at_l1_the_saturation_sanity_check_decides(trained, test):
    """At L1 the standard's ε (1/255) is so small that the healthy and the x1000 model both
    keep nearly every input, so no attack comparison shows the masking; the saturated softmax
    must still keep the x1000 model from passing, while the healthy one passes."""
    from dataclasses import replace

    from mlsvs.modeltest.standard import StandardValues

    net, _ = trained
    xs, ys = _data(200, 2)  # M6.2.x.min_samples at L1
    data = Dataset(x=xs, y=ys, features=(), source="test")
    run_values = {"M6.2.1.query_budget": 400}
    cfg = replace(_cfg(), level="L1", standard=StandardValues(level="L1", values=run_values))
    healthy = test(BudgetedModel(TorchModel(net, SPEC, 2, device="cpu"), budget=None), data, cfg)
    assert healthy.ok is True, healthy.message
    scaled = test(BudgetedModel(TorchModel(Scaled(net, 1000.0), SPEC, 2, device="cpu"),
                                budget=None), data, cfg)  # fmt: skip
    assert abs(scaled.measurements[0].value - healthy.measurements[0].value) <= 0.05
    assert scaled.ok is None and "saturated" in scaled.message, scaled.message
    assert "masking" in scaled.message
