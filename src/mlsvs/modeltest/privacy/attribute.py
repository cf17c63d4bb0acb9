"""Attribute inference (M7.2.2): advantage of (public features + model output) over a
baseline that sees the public features only, when predicting a sensitive attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.config import strs
from mlsvs.modeltest.data import TestDataError
from mlsvs.modeltest.result import TestName, TestResult, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]


def _target(values: Array) -> tuple[npt.NDArray[np.int64], str]:
    """Class codes of the sensitive attribute; many-valued numbers are split at the median."""
    import numpy as np

    uniq = np.unique(values)
    if np.issubdtype(values.dtype, np.number) and len(uniq) > 10:
        med = float(np.median(values.astype(np.float64)))
        return (values.astype(np.float64) > med).astype(np.int64), f"above median {med:g}"
    codes = np.unique(values, return_inverse=True)[1]
    return codes.astype(np.int64), f"{len(uniq)} categories"


def _cross_fit_correct(
    feats: Array, target: npt.NDArray[np.int64], seed: int
) -> npt.NDArray[np.bool_]:
    """Two-fold cross-fitted predictions of a random forest; correctness per row."""
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng([seed, 611])
    fold = rng.permutation(len(target)) % 2
    correct = np.zeros(len(target), dtype=bool)
    for k in (0, 1):
        tr, te = fold != k, fold == k
        if len(np.unique(target[tr])) < 2:
            correct[te] = target[te] == target[tr][0]
            continue
        clf = RandomForestClassifier(
            n_estimators=100, min_samples_leaf=3, random_state=seed, n_jobs=1
        )
        clf.fit(feats[tr], target[tr])
        correct[te] = clf.predict(feats[te]) == target[te]
    return correct


def attribute_inference(model: BudgetedModel, members: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Attack accuracy minus baseline accuracy on training records, with a bootstrap CI."""
    import numpy as np

    data_cfg = cfg.data
    sens_name = data_cfg.get_str("sensitive", "")
    if not sens_name:
        raise TestDataError("attribute inference needs model_tests.data.sensitive = 'column'")
    n = cfg.privacy.get_int("samples", 1000)
    data = members.take(n, np.random.default_rng([cfg.seed, 611]))
    flat = data.x.reshape(len(data), -1).astype(np.float64)
    names = list(data.features)
    if sens_name in names:
        values: Array = flat[:, names.index(sens_name)]
    elif data.sensitive is not None:
        values = data.sensitive
    else:
        raise TestDataError(f"{data.source} has no sensitive column {sens_name!r}")
    public = strs(
        data_cfg.get("public_features", [f for f in names if f != sens_name]),
        "data.public_features",
    )
    unknown = [p for p in public if p not in names or p == sens_name]
    if unknown:
        raise TestDataError(f"public_features {unknown[0]!r} is not a non-sensitive feature")
    target, how = _target(values)
    pub = flat[:, [names.index(p) for p in public]]
    scores = model.predict_proba(data.x)
    base_ok = _cross_fit_correct(pub, target, cfg.seed)
    atk_ok = _cross_fit_correct(np.hstack([pub, scores]), target, cfg.seed)
    adv = float(atk_ok.mean() - base_ok.mean())
    rng = np.random.default_rng([cfg.seed, 6111])
    diffs = atk_ok.astype(np.float64) - base_ok.astype(np.float64)
    boots = [diffs[rng.integers(0, len(diffs), len(diffs))].mean() for _ in range(200)]
    lo, hi = (float(v) for v in np.quantile(boots, [0.025, 0.975]))
    threshold, _ = cfg.standard.threshold(
        "M7.2.2.max_attribute_advantage", cfg.privacy.threshold("attribute_advantage_max")
    )
    d = decide(adv, threshold, cfg.level)
    m = Measurement(
        name="attribute_inference_advantage", value=adv, lower=lo, upper=hi, confidence=0.95,
        threshold=d.limit,
        parameters=params(
            sensitive=sens_name, target=how, public_features=len(public), samples=len(data),
            data=data.source, seed=cfg.seed, attack_model="random_forest(100, 2-fold)",
            attack_accuracy=float(atk_ok.mean()), baseline_accuracy=float(base_ok.mean()),
            queries=model.used, thresholds=threshold.describe() if threshold else None,
        ),
    )  # fmt: skip
    text = (
        f"attribute inference on {sens_name!r}: attack {atk_ok.mean():.3f} vs baseline "
        f"{base_ok.mean():.3f}, advantage {adv:.3f} (95 % CI {lo:.3f}-{hi:.3f}, n={len(data)})"
    )
    if d.ok is None:
        return TestResult(
            name=TestName.ATTRIBUTE, ok=None, measurements=(m,),
            message=f"{text}; not verified: declare privacy.attribute_advantage_max",
        )  # fmt: skip
    return TestResult(
        name=TestName.ATTRIBUTE, ok=d.ok, message=f"{text}: {d.text}", measurements=(m,)
    )
