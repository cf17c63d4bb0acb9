"""Poisoning-screening statistics of a training table (M2.3.1).

* ``duplicate_rate``: rows whose normalised content (all columns) repeats an earlier row, over
  the whole file (streamed);
* ``outlier_rate``: rows with a modified z-score ``0.6745 (x - median) / MAD`` above
  ``outlier_z`` (3.5, Iglewicz & Hoaglin) in any numeric feature (MAD = 0: the mean absolute
  deviation times 1.2533 instead; both 0: the feature is skipped);
* ``class_imbalance``: majority class count / minority class count;
* ``label_noise_rate``: confident learning (``labelnoise``, Northcutt et al. 2021) on
  out-of-sample probabilities from ``cv_folds``-fold cross-validation of a model chosen by the
  column kinds (``oos``: numeric, categorical and text columns); the estimated noise rate with a
  95 % interval, the rows flagged by prune-by-noise-rate and Cohen's kappa of the model (the
  model must predict the labels better than chance for the estimate to mean anything).
  ``label_method = "cleanlab"`` uses ``cleanlab`` (optional extra, >= 2.9) on the same
  probabilities for the joint and the flagged rows.

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

    from mlsvs.datacheck.oos import ModelInputs
    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.settings import DataSettings
    from mlsvs.datacheck.table import Row, TableSource


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingTable:
    """A sample of a training table as numbers plus its labels."""

    rows: int
    """Rows in the file."""
    duplicates: int
    columns: tuple[str, ...]
    """Every column except the label (and the excluded ones), in file order."""
    cells: tuple[tuple[str, ...], ...]
    """The sample, column-major: ``cells[j][i]`` is row ``i`` of ``columns[j]``."""
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
    """Rows flagged as label issues / sample."""
    noise_rate: float
    """Estimated share of wrong labels (confident joint)."""
    noise_lower: float
    noise_upper: float
    label_issues: tuple[int, ...]
    """1-based sample positions of the flagged rows (at most ``ISSUE_EXAMPLES``)."""
    kappa: float
    """Cohen's kappa of the cross-validated model (0 = chance)."""
    model: str
    bootstrap_rounds: int
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
    kept = [i for i, name in enumerate(header) if i != label_index and name not in exclude]
    for index in kept:
        filled = [r[index] for r in sample if r[index].strip()]
        numeric = sum(number(v) is not None for v in filled)
        (
            features.append(index)
            if filled and numeric >= 0.95 * len(filled)
            else ignored.append(header[index])
        )
    nan = float("nan")
    matrix = tuple(
        tuple(v if (v := number(r[i])) is not None else nan for i in features) for r in sample
    )
    return TrainingTable(
        rows=total,
        duplicates=duplicates,
        columns=tuple(header[i] for i in kept),
        cells=tuple(tuple(r[i] for r in sample) for i in kept),
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


ISSUE_EXAMPLES = 20


def model_inputs(table: TrainingTable) -> ModelInputs:
    """The sample's columns with their kinds, for the out-of-sample model."""
    from mlsvs.datacheck.columns import profile
    from mlsvs.datacheck.oos import ModelInputs

    kinds = tuple(profile(n, c).kind for n, c in zip(table.columns, table.cells, strict=True))
    return ModelInputs(names=table.columns, kinds=kinds, cells=table.cells)


def label_codes(labels: tuple[str, ...]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Sorted classes and the labels as class indexes."""
    import numpy as np

    classes = sorted(set(labels))
    lookup = {c: i for i, c in enumerate(classes)}
    return classes, np.asarray([lookup[v] for v in labels], dtype=np.int64)


def quality_stats(
    table: TrainingTable, *, outlier_z: float, folds: int, seed: int, method: str = "native"
) -> QualityStats:
    """Compute the rates; ``DataFileError`` when the data cannot support them."""
    import numpy as np

    from mlsvs.datacheck.labelnoise import estimate
    from mlsvs.datacheck.oos import cross_val_probs, describe, kappa

    classes, y = label_codes(table.labels)
    counts = {c: table.labels.count(c) for c in classes}
    if len(classes) < 2:
        raise DataFileError(f"only one class ({classes[0] if classes else 'none'}) in the labels")
    usable = min(folds, min(counts.values()))
    if usable < 2:
        raise DataFileError("a class has fewer than two rows: cannot cross-validate")
    inputs = model_inputs(table)
    probs = cross_val_probs(inputs, y, folds=usable, seed=seed)
    result = estimate(y, probs, seed=seed)
    noise, lower, upper = result.noise_rate, result.lower, result.upper
    flagged = np.zeros(len(y), dtype=bool)
    flagged[list(result.issues)] = True
    if method == "cleanlab":
        from cleanlab.count import estimate_joint
        from cleanlab.filter import find_label_issues

        flagged = np.asarray(find_label_issues(labels=y, pred_probs=probs, n_jobs=1), dtype=bool)
        cleanlab_noise = 1.0 - float(np.trace(estimate_joint(labels=y, pred_probs=probs)))
        lower, upper = lower + cleanlab_noise - noise, upper + cleanlab_noise - noise
        noise = cleanlab_noise
    per_class = tuple((c, int(flagged[y == i].sum())) for i, c in enumerate(classes))
    x = np.asarray(table.matrix, dtype=np.float64).reshape(len(y), len(table.features))
    return QualityStats(
        rows=table.rows,
        sample=len(table.labels),
        duplicate_rate=table.duplicates / table.rows if table.rows else 0.0,
        outlier_rate=float(outlier_mask(x, outlier_z).mean()) if table.features else 0.0,
        class_imbalance=max(counts.values()) / min(counts.values()),
        label_issue_rate=float(flagged.mean()),
        noise_rate=noise,
        noise_lower=max(0.0, lower),
        noise_upper=min(1.0, upper),
        label_issues=tuple(int(i) + 1 for i in np.flatnonzero(flagged)[:ISSUE_EXAMPLES]),
        kappa=kappa(y, probs),
        model=describe(inputs),
        bootstrap_rounds=result.bootstrap_rounds,
        class_counts=tuple(sorted(counts.items())),
        label_issues_per_class=per_class,
        features=tuple(inputs.names[j] for j in inputs.used),
        ignored=tuple(n for j, n in enumerate(inputs.names) if j not in inputs.used),
        folds=usable,
        method=method,
    )


def judge(stats: QualityStats, conf: DataSettings, limit: float) -> tuple[str, list[str], str]:
    """``(verdict, reasons, noise text)``: verdict ``fail``, ``undecided`` or ``pass``."""
    from mlsvs.datacheck.labelnoise import MIN_KAPPA, Decision, decide

    flagged = round(stats.label_issue_rate * stats.sample)
    noise = (
        f"estimated label noise {stats.noise_rate:.2%} (95% CI {stats.noise_lower:.2%}-"
        f"{stats.noise_upper:.2%}, limit {limit:.2%}; {flagged} row(s) flagged)"
    )
    over = [
        f"{name} {value:.4g} > {maximum:g}"
        for name, value, maximum in (
            ("duplicate_rate", stats.duplicate_rate, conf.duplicate_rate_max),
            ("outlier_rate", stats.outlier_rate, conf.outlier_rate_max),
            ("class_imbalance", stats.class_imbalance, conf.class_imbalance_max),
        )
        if maximum is not None and value > maximum
    ]
    if stats.kappa < MIN_KAPPA:
        reason = (
            f"the cross-validated model barely predicts the labels (kappa {stats.kappa:.2f} < "
            f"{MIN_KAPPA}): label noise cannot be told from a model without signal"
        )
        return ("fail" if over else "undecided"), [*over, reason], noise
    decision = decide(stats.noise_lower, stats.noise_upper, limit)
    if decision is Decision.EXCEEDS:
        return "fail", [noise, *over], noise
    if over:
        return "fail", over, noise
    if decision is Decision.UNDECIDED:
        reason = (
            f"{noise}: the interval straddles the limit, {stats.sample} sampled row(s) cannot "
            "decide"
        )
        return "undecided", [reason], noise
    return "pass", [], noise
