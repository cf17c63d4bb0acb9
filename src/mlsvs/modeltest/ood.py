"""Out-of-distribution detection and handling (M6.3.2).

The detector is the deployed rule, declared in ``[model_tests.ood]``: ``max_softmax`` (answers
whose top score is below ``confidence_threshold`` go to the fail-safe) or ``abstain_class`` (the
model itself answers a reject class). Detection rate is measured on an OOD set
(``data.ood``), false positives on the held-out in-distribution set; both with Wilson 95 %
intervals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.coverage import GapReason
from mlsvs.model.result import Measurement
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]

NAME = TestName.OOD
MIN_IN, MIN_OOD = 100, 50


def synthetic_ood(spec_lower: Array, spec_upper: Array, shape: tuple[int, ...], n: int,
                  rng: np.random.Generator) -> Array:  # fmt: skip
    """Uniform noise over the declared input bounds (far-OOD for images)."""
    import numpy as np

    d = int(np.prod(shape))
    lo = np.broadcast_to(spec_lower, (d,))
    hi = np.broadcast_to(spec_upper, (d,))
    return (lo + rng.random((n, d)) * (hi - lo)).reshape((n, *shape))


def flags(model: BudgetedModel, x: Array, cfg: ModelTestConfig) -> tuple[Array, str]:
    """Boolean mask of inputs the declared detector routes to the fail-safe, and its text."""
    import numpy as np

    sec = cfg.ood
    detector = sec.get_str("detector", "")
    if detector == "abstain_class":
        k = sec.get_int("abstain_class", -1)
        if not 0 <= k < model.n_classes:
            from mlsvs.errors import ConfigError

            raise ConfigError(f"model_tests.ood.abstain_class must be 0..{model.n_classes - 1}")
        return np.asarray(model.predict(x) == k), f"abstain class {k}"
    t = sec.get_float("confidence_threshold", -1.0)
    if not 0.0 < t <= 1.0:
        from mlsvs.errors import ConfigError

        raise ConfigError("model_tests.ood.confidence_threshold must be in (0, 1]")
    return np.asarray(model.predict_proba(x).max(axis=1) < t), f"top score below {t:g}"


def ood_detection(
    model: BudgetedModel, test: Dataset, ood: Dataset | None, cfg: ModelTestConfig
) -> TestResult:
    """Detection rate on OOD inputs and false-positive rate on held-out in-distribution ones."""
    import numpy as np

    sec = cfg.ood
    if not sec.get_str("detector", ""):
        return TestResult(
            name=NAME, ok=None,
            message="no OOD detector declared (model_tests.ood.detector = 'max_softmax' with "
            "confidence_threshold, or 'abstain_class')",
            gaps=limited("OOD detector", "not declared", GapReason.NOT_PRESENT),
        )  # fmt: skip
    n = sec.get_int("samples", 1000)
    inside = test.take(n, np.random.default_rng([cfg.seed, 6321]))
    spec = model.input_spec
    if ood is not None:
        x_ood, source = ood.take(n, np.random.default_rng([cfg.seed, 6322])).x, ood.source
    elif sec.values.get("synthetic") is True:
        lo = np.asarray(spec.lower, dtype=np.float64)
        hi = np.asarray(spec.upper, dtype=np.float64)
        rng = np.random.default_rng([cfg.seed, 6323])
        x_ood = synthetic_ood(lo, hi, spec.shape, n, rng).astype(spec.dtype)
        source = "synthetic uniform noise over the input bounds"
    else:
        return TestResult(
            name=NAME, ok=None,
            message="no OOD test set: declare model_tests.data.ood (or ood.synthetic = true "
            "for uniform-noise inputs)",
            gaps=limited("OOD test set", "not declared", GapReason.NOT_PRESENT),
        )  # fmt: skip
    flag_in, rule = flags(model, inside.x, cfg)
    flag_out, _ = flags(model, x_ood, cfg)
    tp, n_out = int(flag_out.sum()), len(flag_out)
    fp, n_in = int(flag_in.sum()), len(flag_in)
    tpr, fpr = tp / n_out, fp / n_in
    (t_lo, t_hi), (f_lo, f_hi) = wilson(tp, n_out), wilson(fp, n_in)
    t_det, s_det = cfg.standard.threshold(
        "M6.3.2.min_detection_rate", sec.threshold("detection_rate_min")
    )
    t_fpr, s_fpr = cfg.standard.threshold(
        "M6.3.2.max_false_positive_rate", sec.threshold("false_positive_rate_max")
    )
    d_det, d_fpr = decide(tpr, t_det, cfg.level), decide(fpr, t_fpr, cfg.level)
    common: dict[str, object] = {
        "detector": rule, "ood_data": source, "data": inside.source, "seed": cfg.seed,
        "interval": "wilson",
    }  # fmt: skip
    ms = (
        Measurement(name="ood_detection_rate", value=tpr, lower=t_lo, upper=t_hi,
                    confidence=0.95, threshold=d_det.limit,
                    parameters=params(**common, ood_samples=n_out, limit_source=s_det)),
        Measurement(name="ood_false_positive_rate", value=fpr, lower=f_lo, upper=f_hi,
                    confidence=0.95, threshold=d_fpr.limit,
                    parameters=params(**common, in_samples=n_in, limit_source=s_fpr)),
    )  # fmt: skip
    text = (
        f"detector ({rule}) flags {tpr:.3f} of OOD inputs (95 % CI {t_lo:.3f}-{t_hi:.3f}, "
        f"n={n_out}) and {fpr:.3f} of in-distribution ones (95 % CI {f_lo:.3f}-{f_hi:.3f}, "
        f"n={n_in})"
    )
    if n_in < MIN_IN or n_out < MIN_OOD:
        return TestResult(
            name=NAME, ok=None, measurements=ms,
            message=f"{text}: need {MIN_IN} in-distribution and {MIN_OOD} OOD samples",
            gaps=limited("OOD samples", f"{n_in} in-distribution, {n_out} OOD"),
        )  # fmt: skip
    if d_det.ok is None or d_fpr.ok is None:
        why = d_det.text if d_det.ok is None else d_fpr.text
        return TestResult(name=NAME, ok=None, measurements=ms, message=f"{text}: {why}",
                          gaps=limited("OOD limit", why))  # fmt: skip
    return TestResult(
        name=NAME, ok=d_det.ok and d_fpr.ok, measurements=ms,
        message=f"{text}: detection {d_det.text}; false positives {d_fpr.text}",
    )  # fmt: skip
