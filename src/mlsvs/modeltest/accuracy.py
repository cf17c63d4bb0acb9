"""Clean accuracy on held-out data with a Wilson 95 % interval (M6.1.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset


def clean_accuracy(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Accuracy of the model on a seeded sample of the held-out set."""
    import numpy as np

    n = cfg.accuracy.get_int("samples", 1000)
    data = test.take(n, np.random.default_rng([cfg.seed, 601]))
    pred = model.predict(data.x)
    correct = int((pred == data.y).sum())
    acc = correct / len(data)
    lo, hi = wilson(correct, len(data))
    threshold = cfg.accuracy.threshold("clean_accuracy_min")
    d = decide(acc, threshold, cfg.level)
    m = Measurement(
        name="clean_accuracy",
        value=acc,
        lower=lo,
        upper=hi,
        confidence=0.95,
        threshold=d.limit,
        parameters=params(
            data=data.source,
            samples=len(data),
            seed=cfg.seed,
            interval="wilson",
            queries=model.used,
            thresholds=threshold.describe() if threshold else None,
        ),
    )
    text = f"clean accuracy {acc:.4f} (95 % CI {lo:.4f}-{hi:.4f}, n={len(data)}, seed {cfg.seed})"
    if d.ok is None:
        # M6.1.1 asks for the measurement with its uncertainty; a limit is optional.
        return TestResult(name=TestName.ACCURACY, ok=True, message=text, measurements=(m,))
    return TestResult(
        name=TestName.ACCURACY, ok=d.ok, message=f"{text}: {d.text}", measurements=(m,)
    )
