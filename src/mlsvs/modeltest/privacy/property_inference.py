"""Property inference (M7.2.6): can query access tell training sets apart that differ only
in the share of a sensitive group (Ganju et al., CCS 2018; Suri & Evans, PETS 2022)?

With the project's training recipe (``privacy.recipe``) the test trains ``shadow_models``
models on each side: training sets of ``shadow_size`` rows drawn from the training data in
which the rows with ``column == value`` make up ``shares[0]`` resp. ``shares[1]``. Every
shadow model is queried on the same probe inputs (held-out rows); a logistic-regression
meta-classifier over those scores is scored by stratified 5-fold cross-validation (repeated
five times). The
advantage is its accuracy minus that of the same attack on a placebo group of the same size
(random rows: the floor that finite samples give; at least a coin flip's 0.5), with a Wilson
interval; the meta-classifier
trained on all shadows also names the side the target model is closer to (recorded as a
fact). Without a recipe no shadow model can be trained and the requirement is not verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.data import TestDataError
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.subgroups import column_values
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt
    from sklearn.pipeline import Pipeline

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.privacy.scores import Trainer

NAME = TestName.PROPERTY
MIN_SHADOWS = 10
REPEATS = 5
DEFAULT_SHARES = (0.2, 0.8)


def _shares(cfg: ModelTestConfig) -> tuple[float, float]:
    from mlsvs.modeltest.config import floats

    raw = cfg.property_inference.get("shares", list(DEFAULT_SHARES))
    values = floats(raw, "model_tests.property_inference.shares")
    if len(values) != 2 or not all(0 <= v <= 1 for v in values) or values[0] == values[1]:
        raise TestDataError("property_inference.shares must be two different shares in [0, 1]")
    return values[0], values[1]


def _draw(
    with_p: npt.NDArray[np.int64],
    without: npt.NDArray[np.int64],
    share: float,
    size: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """``size`` row indices of which ``share`` have the property (drawn with replacement)."""
    import numpy as np

    k = round(share * size)
    idx = np.concatenate(
        [rng.choice(with_p, size=k, replace=True), rng.choice(without, size=size - k, replace=True)]
    )
    return rng.permutation(idx)


def property_inference(
    model: BudgetedModel,
    train: Dataset,
    test: Dataset,
    cfg: ModelTestConfig,
    root: Path,
    trainer: Trainer | None,
) -> TestResult:
    """Cross-validated meta-classifier accuracy over shadow models minus 0.5."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlsvs.modeltest.evasion.blackbox import log_scores

    sec = cfg.property_inference
    column = sec.get_str("column", "") or cfg.data.get_str("sensitive", "")
    if not column or "value" not in sec.values:
        raise TestDataError(
            "property inference needs model_tests.property_inference.column and .value "
            "(the group whose share in the training data is sensitive)"
        )
    value = str(sec.values["value"])
    if trainer is None:
        return TestResult(
            name=NAME, ok=None,
            message="not verified: property inference trains shadow models with the project's "
            "recipe; declare model_tests.privacy.recipe = 'module:fit'",
            gaps=limited("property inference", "no training recipe (privacy.recipe)"),
        )  # fmt: skip
    if column in train.features:
        col = train.x.reshape(len(train), -1)[:, train.features.index(column)]
        groups = np.array([f"{v:g}" for v in col.astype(np.float64)])
        value = f"{float(value):g}" if _numeric(value) else value
    else:
        groups = column_values(root, cfg.data, "train", column)
    has = np.flatnonzero(groups == value)
    lacks = np.flatnonzero(groups != value)
    if len(has) == 0 or len(lacks) == 0:
        raise TestDataError(f"{train.source}: every or no row has {column} == {value!r}")
    low, high = _shares(cfg)
    per_side = max(2, sec.get_int("shadow_models", 32))
    size = sec.get_int("shadow_size", min(len(train), 500))
    probes = test.take(sec.get_int("probes", 64), np.random.default_rng([cfg.seed, 7261]))

    def attack(
        members: npt.NDArray[np.int64], others: npt.NDArray[np.int64], salt: int
    ) -> tuple[float, Pipeline]:
        """Cross-validated meta accuracy of shadows trained at the two shares of ``members``."""
        rng = np.random.default_rng([cfg.seed, 726, salt])
        feats: list[npt.NDArray[np.float64]] = []
        sides: list[int] = []
        for side, share in enumerate((low, high)):
            for _ in range(per_side):
                idx = _draw(members, others, share, size, rng)
                shadow = trainer(train.x[idx], train.y[idx], int(rng.integers(0, 2**31 - 1)))
                feats.append(
                    np.clip(log_scores(shadow, probes.x), -50.0, 0.0).reshape(-1).astype(np.float64)
                )
                sides.append(side)
        x_meta, y_meta = np.stack(feats), np.asarray(sides)
        meta = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        hits = 0
        for repeat in range(REPEATS):  # repeated CV: the estimate does not hang on one split
            folds = StratifiedKFold(
                n_splits=min(5, per_side), shuffle=True, random_state=cfg.seed * 1000 + repeat
            )
            hits += int((cross_val_predict(meta, x_meta, y_meta, cv=folds) == y_meta).sum())
        return hits / (len(y_meta) * REPEATS), meta.fit(x_meta, y_meta)

    acc, meta = attack(has, lacks, 0)
    # The placebo: a random group of the same size. Shadows drawn mostly from one fixed set of
    # rows differ from those drawn from the rest even when the property means nothing; that
    # finite-sample difference is the attack's floor, not the property's leak.
    shuffled = np.random.default_rng([cfg.seed, 7262]).permutation(len(groups))
    placebo, _ = attack(np.sort(shuffled[: len(has)]), np.sort(shuffled[len(has) :]), 1)
    total = 2 * per_side
    adv = acc - max(0.5, placebo)
    correct = round(acc * total)
    lo_ci, hi_ci = (v - max(0.5, placebo) for v in wilson(correct, total))
    scores = np.clip(log_scores(model, probes.x), -50.0, 0.0).reshape(1, -1)
    target_side = int(meta.predict(scores)[0])
    actual = len(has) / len(groups)
    threshold, source = cfg.standard.threshold(
        "M7.2.6.max_property_advantage", sec.threshold("property_advantage_max")
    )
    d = decide(adv, threshold, cfg.level)
    m = Measurement(
        name="property_inference_advantage", value=adv, lower=lo_ci, upper=hi_ci,
        confidence=0.95, threshold=d.limit, unit="advantage",
        parameters=params(
            column=column, value=value, shares=[low, high], shadow_models=total,
            shadow_size=size, probes=len(probes), meta_accuracy=acc, placebo_accuracy=placebo,
            meta_classifier="logistic regression, 5 x stratified 5-fold", data=train.source,
            training_share=actual, target_classified_as=(low, high)[target_side],
            limit_source=source, seed=cfg.seed,
        ),
    )  # fmt: skip
    text = (
        f"property inference on the share of {column} == {value!r} ({low:g} vs {high:g}): "
        f"meta-classifier accuracy {acc:.3f} over {total} shadow models (placebo group "
        f"{placebo:.3f}), advantage {adv:.3f} "
        f"(95 % CI {lo_ci:.3f}-{hi_ci:.3f}); the target model reads as share "
        f"{(low, high)[target_side]:g} (training data: {actual:.2f})"
    )
    if per_side < MIN_SHADOWS:
        return TestResult(
            name=NAME, ok=None, measurements=(m,),
            message=f"{text}: fewer than {MIN_SHADOWS} shadow models per side, cannot decide",
            gaps=limited("property inference shadows", f"{per_side} per side"),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(name=NAME, ok=None, measurements=(m,), message=f"{text}: {d.text}",
                          gaps=limited("property advantage limit", d.text))  # fmt: skip
    return TestResult(name=NAME, ok=d.ok, measurements=(m,), message=f"{text}: {d.text}")


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
