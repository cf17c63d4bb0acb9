"""Poisoning-screening statistics of a training table (M2.3.1).

* ``duplicate_rate``: rows whose normalised content (all columns) repeats an earlier row, over
  the whole file (streamed);
* ``outlier_rate``: rows with a modified z-score ``0.6745 (x - median) / MAD`` above
  ``outlier_z`` (3.5, Iglewicz & Hoaglin) in any numeric feature (MAD = 0: the mean absolute
  deviation times 1.2533 instead; both 0: the feature is skipped);
* ``class_imbalance``: majority class count / minority class count;
* ``label_issue_rate``: confident learning (Northcutt et al. 2021) on out-of-sample predicted
  probabilities from ``cv_folds``-fold cross-validation of a standardised logistic regression on
  the numeric features: per-class threshold ``t_j`` = mean predicted probability of class ``j``
  over rows labelled ``j``; a row is an issue when the most probable class among those whose
  probability reaches their threshold is not its label (an off-diagonal cell of the confident
  joint). ``label_method = "cleanlab"`` uses ``cleanlab.filter.find_label_issues`` (optional
  extra, cleanlab >= 2.9) on the same probabilities.

Statistics other than the duplicate rate use a seeded reservoir sample of ``max_rows`` rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.normalise import number, row_fingerprint
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.table import table_header_and_batches

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import Row, TableSource


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingTable:
    """A sample of a training table as numbers plus its labels."""

    rows: int
    """Rows in the file."""
    duplicates: int
    features: tuple[str, ...]
    ignored: tuple[str, ...]
    """Non-numeric columns left out of the statistics."""
    matrix: tuple[tuple[float, ...], ...]
    """The sample; NaN for empty/non-numeric cells."""
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityStats:
    """The four measured rates and what they were computed on."""

    rows: int
    sample: int
    duplicate_rate: float
    outlier_rate: float
    class_imbalance: float
    label_issue_rate: float
    class_counts: tuple[tuple[str, int], ...]
    label_issues_per_class: tuple[tuple[str, int], ...]
    features: tuple[str, ...]
    ignored: tuple[str, ...]
    folds: int
    method: str


def read_training_table(
    source: TableSource,
    label: str,
    *,
    exclude: frozenset[str] = frozenset(),
    max_rows: int = 100_000,
    seed: int = 0,
    progress: Progress = silent,
) -> TrainingTable:
    """Stream the file once: count duplicates, keep a seeded reservoir sample of rows."""
    header, batches = table_header_and_batches(source)
    if label not in header:
        raise DataFileError(f"{source.display}: no label column {label!r}")
    every = range(len(header))
    seen: set[bytes] = set()
    duplicates = total = 0
    rng = random.Random(seed)  # noqa: S311 - seeded reservoir sample, not crypto
    sample: list[Row] = []
    for batch in batches:
        for row in batch.rows:
            total += 1
            digest = row_fingerprint(row, every)
            if digest in seen:
                duplicates += 1
            else:
                seen.add(digest)
            if len(sample) < max_rows:
                sample.append(row)
            else:
                slot = rng.randrange(total)
                if slot < max_rows:
                    sample[slot] = row
        progress(source.display, total, None)
    label_index = header.index(label)
    features: list[int] = []
    ignored: list[str] = []
    for index, name in enumerate(header):
        if index == label_index or name in exclude:
            continue
        filled = [r[index] for r in sample if r[index].strip()]
        numeric = sum(number(v) is not None for v in filled)
        (
            features.append(index)
            if filled and numeric >= 0.95 * len(filled)
            else ignored.append(name)
        )
    nan = float("nan")
    matrix = tuple(
        tuple(v if (v := number(r[i])) is not None else nan for i in features) for r in sample
    )
    return TrainingTable(
        rows=total,
        duplicates=duplicates,
        features=tuple(header[i] for i in features),
        ignored=tuple(ignored),
        matrix=matrix,
        labels=tuple(r[label_index].strip() for r in sample),
    )


def outlier_mask(x: npt.NDArray[np.float64], z: float) -> npt.NDArray[np.bool_]:
    """Rows with a modified z-score above ``z`` in any column (NaN cells never count)."""
    import numpy as np

    flags = np.zeros(x.shape[0], dtype=bool)
    for column in x.T:
        valid = ~np.isnan(column)
        if valid.sum() < 3:
            continue
        values = column[valid]
        median = float(np.median(values))
        mad = float(np.median(np.abs(values - median)))
        if mad > 0:
            scores = 0.6745 * np.abs(column - median) / mad
        else:
            mean_ad = float(np.mean(np.abs(values - median)))
            if mean_ad == 0:
                continue
            scores = np.abs(column - median) / (1.253314 * mean_ad)
        flags |= np.nan_to_num(scores, nan=0.0) > z
    return flags


def confident_issues(
    labels: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Rows whose confidently predicted class differs from the given label."""
    import numpy as np

    classes = probs.shape[1]
    thresholds = np.array(
        [probs[labels == j, j].mean() if np.any(labels == j) else 1.0 for j in range(classes)]
    )
    above = probs >= thresholds
    masked = np.where(above, probs, -1.0)
    confident = masked.argmax(axis=1)
    has = above.any(axis=1)
    result: npt.NDArray[np.bool_] = has & (confident != labels)
    return result


def out_of_sample_probs(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], folds: int, seed: int
) -> npt.NDArray[np.float64]:
    """Cross-validated class probabilities of a standardised logistic regression."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probs: npt.NDArray[np.float64] = cross_val_predict(model, x, y, cv=cv, method="predict_proba")
    return probs


def quality_stats(
    table: TrainingTable, *, outlier_z: float, folds: int, seed: int, method: str = "native"
) -> QualityStats:
    """Compute the four rates; ``DataFileError`` when the data cannot support them."""
    import numpy as np

    if not table.features:
        raise DataFileError("no numeric feature columns to measure")
    classes = sorted(set(table.labels))
    counts = {c: table.labels.count(c) for c in classes}
    if len(classes) < 2:
        raise DataFileError(f"only one class ({classes[0] if classes else 'none'}) in the labels")
    usable = min(folds, min(counts.values()))
    if usable < 2:
        raise DataFileError("a class has fewer than two rows: cannot cross-validate")
    x = np.asarray(table.matrix, dtype=np.float64)
    y = np.asarray([classes.index(v) for v in table.labels], dtype=np.int64)
    probs = out_of_sample_probs(x, y, usable, seed)
    if method == "cleanlab":
        from cleanlab.filter import find_label_issues  # type: ignore[import-not-found]

        issues = np.asarray(find_label_issues(labels=y, pred_probs=probs), dtype=bool)
    else:
        issues = confident_issues(y, probs)
    per_class = tuple((c, int(issues[y == i].sum())) for i, c in enumerate(classes))
    return QualityStats(
        rows=table.rows,
        sample=len(table.labels),
        duplicate_rate=table.duplicates / table.rows if table.rows else 0.0,
        outlier_rate=float(outlier_mask(x, outlier_z).mean()),
        class_imbalance=max(counts.values()) / min(counts.values()),
        label_issue_rate=float(issues.mean()),
        class_counts=tuple(sorted(counts.items())),
        label_issues_per_class=per_class,
        features=table.features,
        ignored=table.ignored,
        folds=usable,
        method=method,
    )
