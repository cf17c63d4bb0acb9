"""Canary poisoning test (M2.3.2): a BadNets-style trigger through the user's training recipe.

``rate`` of the training rows not labelled ``target`` get a trigger (each trigger feature set to
``max + 3 * std`` of that feature in the training data: a fixed, out-of-range pattern) and the
label ``target``. The recipe ``fit(X, y, seed)`` trains once on the clean and once on the
poisoned data (same seed). Reported: attack success rate (triggered test rows not labelled
``target`` that the poisoned model assigns to ``target``), the same rate for the clean model as a
baseline, and the clean-accuracy change (poisoned minus clean, on the untouched test rows).
Missing numeric cells are filled with the training medians before anything reaches the recipe.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.datacheck.quality import TrainingTable

Fit = Callable[[Any, Any, int], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class CanaryResult:
    """Measured effect of the canary."""

    attack_success_rate: float
    baseline_success_rate: float
    clean_accuracy: float
    poisoned_accuracy: float
    poisoned_rows: int
    triggered_test_rows: int
    target: str
    features: tuple[str, ...]
    trigger: tuple[float, ...]

    @property
    def accuracy_change(self) -> float:
        """Poisoned minus clean accuracy (negative: the poison cost accuracy)."""
        return self.poisoned_accuracy - self.clean_accuracy


def _label_values(labels: tuple[str, ...]) -> list[object]:
    try:
        return [int(v) for v in labels]
    except ValueError:
        return list(labels)


def _matrix(
    table: TrainingTable, columns: list[int], fill: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    import numpy as np

    x: npt.NDArray[np.float64] = np.asarray(table.matrix, dtype=np.float64)[:, columns]
    rows, cols = np.where(np.isnan(x))
    x[rows, cols] = fill[cols]
    return x


def _predict(model: object, x: npt.NDArray[np.float64]) -> list[str]:
    predict = getattr(model, "predict", None)
    if not callable(predict):
        raise DataFileError("the recipe's model has no predict method")
    return [str(v) for v in list(predict(x))]


def canary_test(
    train: TrainingTable,
    test: TrainingTable,
    fit: Fit,
    *,
    rate: float,
    target: str,
    features: tuple[str, ...],
    seed: int,
) -> CanaryResult:
    """Run the canary; ``DataFileError`` when the data cannot support it."""
    import numpy as np

    shared = [f for f in train.features if f in test.features]
    if not shared:
        raise DataFileError("train and test share no numeric feature")
    chosen = features or tuple(shared[:2])
    missing = [f for f in chosen if f not in shared]
    if missing:
        raise DataFileError(f"canary feature(s) not numeric in both splits: {', '.join(missing)}")
    classes = sorted(set(train.labels))
    counts = {c: train.labels.count(c) for c in classes}
    target = target or min(classes, key=lambda c: (counts[c], c))
    if target not in counts:
        raise DataFileError(f"canary target {target!r} is not a training label")
    train_cols = [train.features.index(f) for f in shared]
    raw = np.asarray(train.matrix, dtype=np.float64)[:, train_cols]
    fill = np.nan_to_num(np.nanmedian(raw, axis=0), nan=0.0)
    x_train = _matrix(train, train_cols, fill)
    x_test = _matrix(test, [test.features.index(f) for f in shared], fill)
    positions = [shared.index(f) for f in chosen]
    trigger = x_train[:, positions].max(axis=0) + 3 * np.maximum(
        x_train[:, positions].std(axis=0), 1.0
    )
    candidates = [i for i, v in enumerate(train.labels) if v != target]
    count = max(1, round(rate * len(train.labels)))
    if len(candidates) < count:
        raise DataFileError("not enough non-target training rows to poison")
    poisoned = random.Random(seed).sample(candidates, count)  # noqa: S311 - seeded, not crypto
    x_poison = x_train.copy()
    x_poison[np.ix_(poisoned, positions)] = trigger
    y_values = _label_values(train.labels)
    target_value = _label_values((target,))[0] if isinstance(y_values[0], int) else target
    y_poison = list(y_values)
    for i in poisoned:
        y_poison[i] = target_value
    clean_model = fit(x_train, np.asarray(y_values), seed)
    poison_model = fit(x_poison, np.asarray(y_poison), seed)
    truth = [str(v) for v in _label_values(test.labels)]
    clean_acc = float(
        np.mean([p == t for p, t in zip(_predict(clean_model, x_test), truth, strict=True)])
    )
    poison_acc = float(
        np.mean([p == t for p, t in zip(_predict(poison_model, x_test), truth, strict=True)])
    )
    victims = [i for i, v in enumerate(test.labels) if v != target]
    if not victims:
        raise DataFileError("no test rows outside the target class to trigger")
    x_triggered = x_test[victims].copy()
    x_triggered[:, positions] = trigger
    shown_target = str(target_value)
    asr = float(np.mean([p == shown_target for p in _predict(poison_model, x_triggered)]))
    base = float(np.mean([p == shown_target for p in _predict(clean_model, x_triggered)]))
    return CanaryResult(
        attack_success_rate=asr,
        baseline_success_rate=base,
        clean_accuracy=clean_acc,
        poisoned_accuracy=poison_acc,
        poisoned_rows=count,
        triggered_test_rows=len(victims),
        target=target,
        features=tuple(chosen),
        trigger=tuple(float(v) for v in trigger),
    )
