"""Training reproducible within tolerance (M3.1.3): rebuild with the recorded recipe, compare.

The recipe is the project's training function ``fit(X, y, seed) -> model`` (declared as
``reproducibility.recipe`` or ``privacy.recipe``), run in the model worker on the declared
training data with the recorded seed. The headline metric (accuracy on the held-out data, on
the same sample for both models) of the rebuild must be within ``max_metric_deviation`` of the
registered model's. Several rebuild seeds can be declared; the largest deviation decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.privacy.scores import Trainer

NAME = TestName.REPRODUCIBILITY


def reproducibility(
    model: BudgetedModel,
    train: Dataset,
    test: Dataset,
    cfg: ModelTestConfig,
    trainer: Trainer | None,
) -> TestResult:
    """|accuracy(rebuild) - accuracy(registered)| on the same held-out sample, per seed."""
    import numpy as np

    if trainer is None:
        return TestResult(
            name=NAME,
            ok=None,
            message="no training recipe declared (model_tests.reproducibility.recipe = "
            "'module:fit'): the rebuild is impossible",
            gaps=limited("training recipe", "not declared"),
        )
    sec = cfg.reproducibility
    seeds = sec.get("seeds", [cfg.seed])
    seeds = [int(s) for s in seeds] if isinstance(seeds, list) and seeds else [cfg.seed]
    held = test.take(sec.get_int("samples", 5000), np.random.default_rng([cfg.seed, 313]))
    registered = float((model.predict(held.x) == held.y).mean())
    rebuilt: list[float] = []
    for seed in seeds:
        fresh = trainer(train.x, train.y, seed)
        rebuilt.append(float((fresh.predict(held.x) == held.y).mean()))
    deviations = [abs(r - registered) for r in rebuilt]
    worst = max(deviations)
    threshold, source = cfg.standard.threshold(
        "M3.1.3.max_metric_deviation", sec.threshold("metric_deviation_max")
    )
    d = decide(worst, threshold, cfg.level)
    n = len(held)
    lo, hi = wilson(round(registered * n), n)
    m = Measurement(
        name="rebuild_accuracy_deviation",
        value=worst,
        threshold=d.limit,
        unit="metric points",
        parameters=params(
            registered_accuracy=registered,
            rebuilt_accuracy=rebuilt,
            seeds=seeds,
            samples=n,
            data=held.source,
            train_data=train.source,
            limit_source=source,
            registered_interval=f"{lo:.4f}-{hi:.4f}",
        ),
    )
    text = (
        f"registered accuracy {registered:.4f}; rebuilt with seed(s) {seeds}: "
        + ", ".join(f"{r:.4f}" for r in rebuilt)
        + f"; largest deviation {worst:.4f}"
    )
    if d.ok is None:
        return TestResult(
            name=NAME,
            ok=None,
            measurements=(m,),
            message=f"{text}: {d.text}",
            gaps=limited("reproducibility limit", d.text),
        )
    return TestResult(name=NAME, ok=d.ok, measurements=(m,), message=f"{text}: {d.text}")
