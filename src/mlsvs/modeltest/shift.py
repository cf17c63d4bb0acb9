"""Robustness to corruptions and natural shift (M6.3.1): mean corrupted / clean accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.model.result import Measurement
from mlsvs.modeltest.corruptions import IMAGE, TABULAR, Corruption, apply, context, is_image
from mlsvs.modeltest.corruptions import supported as corruption_supported
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

NAME = TestName.CORRUPTION
MIN_SAMPLES = 100
DEFAULT_SEVERITY = 3


def _suite(cfg: ModelTestConfig, image: bool) -> tuple[Corruption, ...]:
    raw = cfg.corruption.get("corruptions", None)
    if raw is None:
        return IMAGE if image else TABULAR
    suite = tuple(Corruption(str(v)) for v in raw)  # type: ignore[attr-defined]
    bad = [c.value for c in suite if not corruption_supported(c, image=image)]
    if bad:
        modality = "image" if image else "tabular"
        raise ConfigError(f"model_tests.corruption.corruptions: {bad[0]} is not a {modality} one")
    if not suite:
        raise ConfigError("model_tests.corruption.corruptions is empty")
    return suite


def corruption_robustness(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Accuracy under each corruption at the standard's severity, relative to clean accuracy."""
    import numpy as np

    sec = cfg.corruption
    modality = sec.get_str("modality", "")
    image = is_image(model.input_spec) if not modality else modality == "image"
    suite = _suite(cfg, image)
    severity = int(cfg.standard.budget("M6.3.1.severity", sec.get_int("severity", 0)))
    severity = min(5, severity if severity > 0 else DEFAULT_SEVERITY)
    data = test.take(sec.get_int("samples", 1000), np.random.default_rng([cfg.seed, 631]))
    ctx = context(data.x, model.input_spec, image=image)
    clean_ok = model.predict(data.x) == data.y
    clean = float(clean_ok.mean())
    per: dict[str, np.ndarray] = {}
    for i, kind in enumerate(suite):
        rng = np.random.default_rng([cfg.seed, 632, i])
        xc = apply(kind, data.x, severity, rng, ctx)
        per[kind.value] = model.predict(xc) == data.y
    accs = {k: float(v.mean()) for k, v in per.items()}
    mean_acc = float(np.mean(list(accs.values())))
    n = len(data)
    threshold, source = cfg.standard.threshold(
        "M6.3.1.min_corruption_accuracy_ratio", sec.threshold("corruption_accuracy_ratio_min")
    )
    measurements = [
        Measurement(
            name=f"corrupted_accuracy.{k}", value=a, lower=wilson(int(per[k].sum()), n)[0],
            upper=wilson(int(per[k].sum()), n)[1], confidence=0.95,
            parameters=params(corruption=k, severity=severity, samples=n, seed=cfg.seed),
        )
        for k, a in accs.items()
    ]  # fmt: skip
    if clean == 0.0:
        return TestResult(
            name=NAME, ok=None, measurements=tuple(measurements),
            message="clean accuracy is 0 on the sample: the ratio is undefined",
            gaps=limited("corruption ratio", "clean accuracy 0"),
        )  # fmt: skip
    ratio = mean_acc / clean
    lo, hi = _bootstrap_ratio(clean_ok, per, seed=cfg.seed)
    d = decide(ratio, threshold, cfg.level)
    worst = min(accs, key=accs.__getitem__)
    measurements.insert(
        0,
        Measurement(
            name="corruption_accuracy_ratio", value=ratio, lower=lo, upper=hi, confidence=0.95,
            threshold=d.limit, unit="ratio",
            parameters=params(
                modality="image" if image else "tabular", severity=severity, samples=n,
                seed=cfg.seed, clean_accuracy=clean, mean_corrupted_accuracy=mean_acc,
                corruptions=[c.value for c in suite], interval="bootstrap percentile",
                limit_source=source, data=data.source,
            ),
        ),
    )  # fmt: skip
    text = (
        f"mean accuracy over {len(suite)} corruptions at severity {severity} is {mean_acc:.4f} "
        f"vs clean {clean:.4f}: ratio {ratio:.4f} (95 % CI {lo:.4f}-{hi:.4f}, n={n}); "
        f"worst {worst} {accs[worst]:.4f}"
    )
    if n < MIN_SAMPLES:
        return TestResult(
            name=NAME, ok=None, measurements=tuple(measurements),
            message=f"{text}: fewer than {MIN_SAMPLES} samples, cannot decide",
            gaps=limited("corruption samples", f"{n} samples"),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(
            name=NAME, ok=None, measurements=tuple(measurements), message=f"{text}: {d.text}",
            gaps=limited("corruption limit", d.text),
        )  # fmt: skip
    return TestResult(
        name=NAME, ok=d.ok, measurements=tuple(measurements), message=f"{text}: {d.text}"
    )


def _bootstrap_ratio(
    clean_ok: object, per: Mapping[str, object], *, seed: int, n_boot: int = 200
) -> tuple[float, float]:
    import numpy as np

    clean = np.asarray(clean_ok, dtype=np.float64)
    stack = np.stack([np.asarray(v, dtype=np.float64) for v in per.values()])
    rng = np.random.default_rng([seed, 633])
    values = []
    for _ in range(n_boot):
        i = rng.integers(0, len(clean), len(clean))
        c = clean[i].mean()
        if c > 0:
            values.append(stack[:, i].mean() / c)
    if not values:
        return (0.0, 0.0)
    lo, hi = np.quantile(values, [0.025, 0.975])
    return (float(lo), float(hi))
