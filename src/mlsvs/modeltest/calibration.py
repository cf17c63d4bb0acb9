"""Calibration of returned scores (M7.1.3): ECE on held-out data and the train/held-out gap.

Expected calibration error uses equal-width confidence bins (15, as the standard's parameter
states) over the top-1 score; both figures carry a 95 % percentile bootstrap interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.adapters.models.spec import OutputKind
from mlsvs.model.result import Measurement
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]

NAME = TestName.CALIBRATION
BINS = 15
MIN_SAMPLES = 100
"""Fewer held-out (or training) samples than this leave 15 bins too sparse to decide."""


def ece(confidence: Array, correct: Array, bins: int = BINS) -> float:
    """Expected calibration error: ``sum_b |B_b|/n * |acc(B_b) - conf(B_b)|``, equal-width
    bins over (0, 1] (a confidence of exactly 0 falls in the first bin)."""
    import numpy as np

    n = len(confidence)
    if n == 0:
        return 0.0
    idx = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = idx == b
        count = int(members.sum())
        if count:
            gap = abs(float(correct[members].mean()) - float(confidence[members].mean()))
            total += count / n * gap
    return total


def _bootstrap(
    conf_test: Array, correct: Array, conf_train: Array, *, seed: int, n_boot: int, bins: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    import numpy as np

    rng = np.random.default_rng([seed, 713])
    eces, gaps = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        i = rng.integers(0, len(conf_test), len(conf_test))
        j = rng.integers(0, len(conf_train), len(conf_train))
        eces[b] = ece(conf_test[i], correct[i], bins)
        gaps[b] = float(conf_train[j].mean() - conf_test[i].mean())
    e_lo, e_hi = np.quantile(eces, [0.025, 0.975])
    g_lo, g_hi = np.quantile(gaps, [0.025, 0.975])
    return (float(e_lo), float(e_hi)), (float(g_lo), float(g_hi))


def calibration(
    model: BudgetedModel, test: Dataset, train: Dataset, cfg: ModelTestConfig
) -> TestResult:
    """ECE of the top-1 score on held-out data and mean confidence train minus held-out."""
    import numpy as np

    if model.output_kind is OutputKind.LABELS:
        return TestResult(
            name=NAME, ok=True, applicable=False,
            message="the model returns labels only: no scores to calibrate",
        )  # fmt: skip
    sec = cfg.calibration
    n = sec.get_int("samples", 2000)
    bins = sec.get_int("bins", BINS)
    held = test.take(n, np.random.default_rng([cfg.seed, 7131]))
    members = train.take(n, np.random.default_rng([cfg.seed, 7132]))
    p_test = model.predict_proba(held.x)
    p_train = model.predict_proba(members.x)
    conf_test = p_test.max(axis=1).astype(np.float64)
    conf_train = p_train.max(axis=1).astype(np.float64)
    correct = (p_test.argmax(axis=1) == held.y).astype(np.float64)
    value = ece(conf_test, correct, bins)
    gap = float(conf_train.mean() - conf_test.mean())
    boot = sec.get_int("bootstrap", 200)
    (e_lo, e_hi), (g_lo, g_hi) = _bootstrap(
        conf_test, correct, conf_train, seed=cfg.seed, n_boot=max(20, boot), bins=bins
    )
    t_ece, src_ece = cfg.standard.threshold(
        "M7.1.3.max_expected_calibration_error",
        sec.threshold("expected_calibration_error_max"),
    )
    t_gap, src_gap = cfg.standard.threshold(
        "M7.1.3.max_confidence_gap", sec.threshold("confidence_gap_max")
    )
    d_ece, d_gap = decide(value, t_ece, cfg.level), decide(gap, t_gap, cfg.level)
    common: dict[str, object] = {
        "data": held.source, "train_data": members.source, "held_out": len(held),
        "train": len(members), "seed": cfg.seed, "interval": "bootstrap percentile",
        "bootstrap": max(20, boot),
    }  # fmt: skip
    measurements = (
        Measurement(
            name="expected_calibration_error", value=value, lower=e_lo, upper=e_hi,
            confidence=0.95, threshold=d_ece.limit,
            parameters=params(**common, bins=bins, limit_source=src_ece),
        ),
        Measurement(
            name="confidence_gap", value=gap, lower=g_lo, upper=g_hi, confidence=0.95,
            threshold=d_gap.limit, unit="probability",
            parameters=params(
                **common, train_confidence=float(conf_train.mean()),
                held_out_confidence=float(conf_test.mean()), limit_source=src_gap,
            ),
        ),
    )  # fmt: skip
    text = (
        f"ECE {value:.4f} (95 % CI {e_lo:.4f}-{e_hi:.4f}, {bins} bins, n={len(held)}); "
        f"confidence gap train-held-out {gap:+.4f} (95 % CI {g_lo:+.4f}-{g_hi:+.4f})"
    )
    if min(len(held), len(members)) < MIN_SAMPLES:
        return TestResult(
            name=NAME, ok=None, measurements=measurements,
            message=f"{text}: fewer than {MIN_SAMPLES} samples, cannot decide",
            gaps=limited("calibration samples", f"{len(held)} held-out, {len(members)} train"),
        )  # fmt: skip
    if d_ece.ok is None or d_gap.ok is None:
        missing = d_ece.text if d_ece.ok is None else d_gap.text
        return TestResult(
            name=NAME, ok=None, measurements=measurements, message=f"{text}: {missing}",
            gaps=limited("calibration limit", missing),
        )  # fmt: skip
    ok = d_ece.ok and d_gap.ok
    return TestResult(
        name=NAME, ok=ok, measurements=measurements,
        message=f"{text}: ECE {d_ece.text}; gap {d_gap.text}",
    )  # fmt: skip
