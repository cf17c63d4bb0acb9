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


def _integer_labels(labels: tuple[str, ...]) -> bool:
    try:
        for value in labels:
            int(value)
    except ValueError:
        return False
    return True


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
    return [_label_text(v) for v in list(predict(x))]


def _label_text(value: object) -> str:
    """A prediction as label text: ``1``, ``1.0`` and ``np.int64(1)`` are all ``"1"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text[:-2] if text.endswith(".0") and text[:-2].lstrip("-").isdigit() else text


def _success(model: object, x: npt.NDArray[np.float64], labels: list[str], target: str) -> float:
    """Share of the rows not labelled ``target`` that ``model`` assigns to ``target``."""
    import numpy as np

    victims = [i for i, v in enumerate(labels) if v != target]
    if not victims:
        raise DataFileError("no test rows outside the target class to trigger")
    return float(np.mean([p == target for p in _predict(model, x[victims])]))


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
    """Run the canary; ``DataFileError`` when the data cannot support it.

    Without a configured ``target`` the class the clean model least often predicts for
    triggered inputs is used, so the trigger alone cannot explain a high success rate.
    """
    import numpy as np

    shared = [f for f in train.features if f in test.features]
    if not shared:
        raise DataFileError("train and test share no numeric feature")
    chosen = features or tuple(shared[:2])
    missing = [f for f in chosen if f not in shared]
    if missing:
        raise DataFileError(f"canary feature(s) not numeric in both splits: {', '.join(missing)}")
    as_int = _integer_labels(train.labels + test.labels)
    y_train = [str(int(v)) if as_int else v for v in train.labels]
    y_test = [str(int(v)) if as_int else v for v in test.labels]
    classes = sorted(set(y_train))
    wanted = str(int(target)) if target and as_int and _integer_labels((target,)) else target
    if wanted and wanted not in classes:
        raise DataFileError(f"canary target {target!r} is not a training label")
    train_cols = [train.features.index(f) for f in shared]
    raw = np.asarray(train.matrix, dtype=np.float64)[:, train_cols]
    fill = np.nan_to_num(np.nanmedian(raw, axis=0), nan=0.0)
    x_train = _matrix(train, train_cols, fill)
    x_test = _matrix(test, [test.features.index(f) for f in shared], fill)
    positions = [shared.index(f) for f in chosen]
    column = x_train[:, positions]
    trigger = column.max(axis=0) + 3 * np.maximum(column.std(axis=0), 1.0)
    x_triggered = x_test.copy()
    x_triggered[:, positions] = trigger

    def labels(values: list[str]) -> npt.NDArray[np.generic]:
        return np.asarray([int(v) for v in values] if as_int else values)

    clean_model = fit(x_train, labels(y_train), seed)
    if wanted:
        goal = wanted
    else:
        rates = {c: _success(clean_model, x_triggered, y_test, c) for c in classes}
        goal = min(classes, key=lambda c: (rates[c], c))
    candidates = [i for i, v in enumerate(y_train) if v != goal]
    count = max(1, round(rate * len(y_train)))
    if len(candidates) < count:
        raise DataFileError("not enough non-target training rows to poison")
    poisoned = random.Random(seed).sample(candidates, count)  # noqa: S311 - seeded, not crypto
    x_poison = x_train.copy()
    x_poison[np.ix_(poisoned, positions)] = trigger
    y_poison = list(y_train)
    for i in poisoned:
        y_poison[i] = goal
    poison_model = fit(x_poison, labels(y_poison), seed)
    clean = _predict(clean_model, x_test)
    dirty = _predict(poison_model, x_test)
    return CanaryResult(
        attack_success_rate=_success(poison_model, x_triggered, y_test, goal),
        baseline_success_rate=_success(clean_model, x_triggered, y_test, goal),
        clean_accuracy=float(np.mean([p == t for p, t in zip(clean, y_test, strict=True)])),
        poisoned_accuracy=float(np.mean([p == t for p, t in zip(dirty, y_test, strict=True)])),
        poisoned_rows=count,
        triggered_test_rows=sum(v != goal for v in y_test),
        target=goal,
        features=tuple(chosen),
        trigger=tuple(float(v) for v in trigger),
    )
