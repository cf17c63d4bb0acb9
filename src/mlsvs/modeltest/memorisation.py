"""Memorisation indicators (M7.2.3): the generalisation gap, training minus held-out accuracy.

Canary exposure applies to generative and sequence models; the runtime tests serve
classifiers, so for them the gap is the indicator and exposure is recorded as not applicable.
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

NAME = TestName.MEMORISATION
MIN_SAMPLES = 100


def newcombe(a: int, n: int, b: int, m: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for the difference ``a/n - b/m``."""
    import math

    p1, p2 = a / n, b / m
    l1, u1 = wilson(a, n)
    l2, u2 = wilson(b, m)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, lower), min(1.0, upper))


def memorisation(
    model: BudgetedModel, train: Dataset, test: Dataset, cfg: ModelTestConfig
) -> TestResult:
    """Training accuracy minus held-out accuracy with a Newcombe 95 % interval."""
    import numpy as np

    n = cfg.memorisation.get_int("samples", 2000)
    tr = train.take(n, np.random.default_rng([cfg.seed, 7231]))
    te = test.take(n, np.random.default_rng([cfg.seed, 7232]))
    a = int((model.predict(tr.x) == tr.y).sum())
    b = int((model.predict(te.x) == te.y).sum())
    gap = a / len(tr) - b / len(te)
    lo, hi = newcombe(a, len(tr), b, len(te))
    threshold, source = cfg.standard.threshold(
        "M7.2.3.max_generalisation_gap", cfg.memorisation.threshold("generalisation_gap_max")
    )
    d = decide(gap, threshold, cfg.level)
    m = Measurement(
        name="generalisation_gap", value=gap, lower=lo, upper=hi, confidence=0.95,
        threshold=d.limit, unit="accuracy points",
        parameters=params(
            train_accuracy=a / len(tr), held_out_accuracy=b / len(te), train=len(tr),
            held_out=len(te), train_data=tr.source, data=te.source, seed=cfg.seed,
            interval="newcombe", limit_source=source,
            canary_exposure="not applicable (classifier)",
        ),
    )  # fmt: skip
    text = (
        f"generalisation gap {gap:+.4f} (train {a / len(tr):.4f}, held-out {b / len(te):.4f}; "
        f"95 % CI {lo:+.4f}-{hi:+.4f}); canary exposure not applicable to a classifier"
    )
    if min(len(tr), len(te)) < MIN_SAMPLES:
        return TestResult(
            name=NAME, ok=None, measurements=(m,),
            message=f"{text}: fewer than {MIN_SAMPLES} samples, cannot decide",
            gaps=limited("memorisation samples", f"{len(tr)} train, {len(te)} held-out"),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(name=NAME, ok=None, measurements=(m,), message=f"{text}: {d.text}",
                          gaps=limited("memorisation limit", d.text))  # fmt: skip
    return TestResult(name=NAME, ok=d.ok, measurements=(m,), message=f"{text}: {d.text}")
