"""Confident learning (Northcutt, Jiang & Chuang, JAIR 2021), implemented natively with NumPy.

Input: given labels ``y`` (0..K-1) and *out-of-sample* predicted probabilities ``P`` (n x K,
from cross-validation: a model must never score the rows it was fitted on).

* per-class threshold ``t_j``: mean of ``P[i, j]`` over the rows labelled ``j`` (classes without
  rows get 2, so nothing reaches them);
* confident joint ``C[given][true]``: a row counts when at least one class reaches its threshold
  (within 1e-6); its true-label guess is that class, or the arg-max of ``P`` when several do;
  diagonal cells are at least 1;
* calibration: each row of ``C`` is rescaled to the number of rows with that given label, then
  the whole matrix to ``n``, and rounded with row totals preserved;
* estimated noise rate ``1 - trace(Q)`` with ``Q`` the calibrated joint divided by its sum;
* label issues by *prune by noise rate*: for each given class ``k`` and true class ``j != k``
  the calibrated count ``C[k][j]`` (after keeping at least one example per class) of rows
  labelled ``k`` with the largest margin ``P[:, j] - P[:, k]``; a row whose arg-max (with a
  1e-6 preference for the given label) is its label is never an issue.

These are the definitions of ``cleanlab.count.estimate_joint`` and
``cleanlab.filter.find_label_issues`` (default ``prune_by_noise_rate``) in cleanlab 2.9; the
test suite checks that both give identical answers on the same probabilities.

The interval on the noise rate is the envelope of a percentile bootstrap over rows (the
thresholds and the calibration are re-estimated in every resample) and the Wilson score interval
of the flagged count: the bootstrap covers the estimator's own variability, Wilson covers the
binomial sampling error where the bootstrap degenerates (no or few issues in a small sample).
It does not cover the variance of the cross-validated model itself.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]
    BoolArray = npt.NDArray[np.bool_]

NOISE_LIMIT_KEY = "M2.3.1.max_label_noise_rate"
NOISE_LIMITS = {1: 0.03, 2: 0.02, 3: 0.01}
"""Level defaults of the largest tolerated estimated label-noise rate (see PARAMETERS.md): the
average label-error rate of ten curated benchmark test sets is 3.3 % (Northcutt, Athalye &
Mueller 2021, "Pervasive label errors in test sets"); L2 and L3 ask for better than typical
curation, and every level stays well below the 5-10 % flip rates at which label-flipping
poisoning degrades models (Biggio et al. 2011; Xiao et al. 2012), so such an attack fails."""
MIN_KAPPA = 0.2
"""Below this Cohen's kappa the cross-validated model barely predicts the labels: confident
learning then cannot tell wrong labels from a model without signal (not verified)."""

_EPS = 1e-6
_THRESHOLD_FLOOR = 2e-6
_ABSENT = 2.0
Z95 = 1.959963984540054


def confident_thresholds(labels: IntArray, probs: FloatArray) -> FloatArray:
    """Per-class mean self-confidence (2.0 for a class no row carries)."""
    import numpy as np

    classes = probs.shape[1]
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    sums = np.bincount(labels, weights=probs[np.arange(len(labels)), labels], minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1.0), _ABSENT)
    result: FloatArray = np.maximum(means, _THRESHOLD_FLOOR)
    return result


def confident_joint(labels: IntArray, probs: FloatArray) -> tuple[IntArray, IntArray]:
    """The uncalibrated confident joint ``C[given][true]`` and the per-row true-label guess.

    The guess is -1 for rows where no class reaches its threshold (they are not counted).
    """
    import numpy as np

    classes = probs.shape[1]
    above = probs >= confident_thresholds(labels, probs) - _EPS
    confident = above.sum(axis=1)
    guess = np.where(confident > 1, probs.argmax(axis=1), above.argmax(axis=1))
    guess = np.where(confident > 0, guess, -1)
    counted = guess >= 0
    cells = labels[counted] * classes + guess[counted]
    joint = np.bincount(cells, minlength=classes * classes).reshape(classes, classes)
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1))
    return joint.astype(np.int64), guess.astype(np.int64)


def _round_row(values: FloatArray) -> IntArray:
    """Round a row to integers whose sum is the rounded sum (largest remainders move first)."""
    import numpy as np

    ints = np.round(values)
    target = round(float(values.sum()))
    gap = target - round(float(ints.sum()))
    while gap:
        step = 1 if gap > 0 else -1
        order = np.argsort(values - ints)[::-step][: min(abs(gap), len(values))]
        ints[order] += step
        gap = target - round(float(ints.sum()))
    result: IntArray = ints.astype(np.int64)
    return result


def calibrate(joint: IntArray, labels: IntArray) -> IntArray:
    """Rows rescaled to the given-label counts, the total to ``n``, rounded per row."""
    import numpy as np

    classes = joint.shape[0]
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    rows = np.maximum(joint.sum(axis=1).astype(np.float64), 1e-100)
    scaled = joint / rows[:, None] * counts[:, None]
    scaled = scaled / max(float(scaled.sum()), 1e-100) * counts.sum()
    return np.vstack([_round_row(row) for row in scaled])


def noise_rate(labels: IntArray, probs: FloatArray) -> float:
    """Estimated share of rows whose given label differs from the true one."""
    import numpy as np

    calibrated = calibrate(confident_joint(labels, probs)[0], labels)
    total = float(calibrated.sum())
    return 0.0 if total <= 0 else 1.0 - float(np.trace(calibrated)) / total


def _prune_counts(calibrated: IntArray) -> IntArray:
    """Calibrated counts with at least one kept example per class, as ``[true][given]``."""
    import numpy as np

    matrix = calibrated.T.astype(np.float64)
    diagonal = matrix.diagonal().copy()
    kept = np.maximum(diagonal, 1.0)
    raised = kept - diagonal
    spread = np.maximum(np.count_nonzero(matrix, axis=0) - 1.0, 1.0)
    reduced = matrix - raised / spread
    reduced[reduced < 0] = 0
    np.fill_diagonal(reduced, kept)
    result: IntArray = reduced.astype(np.int64)  # truncation, as counts
    return result


def label_issues(labels: IntArray, probs: FloatArray) -> BoolArray:
    """Rows flagged by prune-by-noise-rate (see the module docstring)."""
    import numpy as np

    calibrated = calibrate(confident_joint(labels, probs)[0], labels)
    prune = _prune_counts(calibrated)
    mask = np.zeros(len(labels), dtype=bool)
    for given in range(probs.shape[1]):
        rows = np.flatnonzero(labels == given)
        if len(rows) <= 1:
            continue
        local = np.zeros(len(rows), dtype=bool)
        block = probs[rows]
        for true in range(probs.shape[1]):
            count = int(prune[true, given])
            if true != given and count > 0:
                order = np.argsort(-(block[:, true] - block[:, given]))
                local[order[:count]] = True
        mask[rows] = local
    preferred = probs.copy()
    preferred[np.arange(len(labels)), labels] += _EPS
    mask &= preferred.argmax(axis=1) != labels
    return mask


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    return low, 1.0 if successes == trials else min(1.0, centre + half)


def bootstrap_noise(
    labels: IntArray, probs: FloatArray, *, rounds: int, seed: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``noise_rate`` over rows (seeded)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(labels)
    values = np.empty(rounds)
    for r in range(rounds):
        pick = rng.integers(0, n, n)
        values[r] = noise_rate(labels[pick], probs[pick])
    tail = (1 - confidence) / 2
    return float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))


@enum.unique
class Decision(enum.StrEnum):
    """What an interval says about a limit."""

    WITHIN = "within"
    """The whole interval is below the limit."""
    EXCEEDS = "exceeds"
    """The whole interval is above the limit."""
    UNDECIDED = "undecided"
    """The interval straddles the limit: the sample cannot decide."""


def decide(lower: float, upper: float, limit: float) -> Decision:
    """Pass only when the upper bound is below the limit, fail when the lower bound is above."""
    if lower > limit:
        return Decision.EXCEEDS
    if upper < limit:
        return Decision.WITHIN
    return Decision.UNDECIDED


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseEstimate:
    """Confident-learning result on one table."""

    rows: int
    noise_rate: float
    lower: float
    upper: float
    confidence: float
    issues: tuple[int, ...]
    """Row positions (in the analysed sample) flagged as label issues."""
    joint: tuple[tuple[int, ...], ...]
    """Calibrated confident joint, ``[given][true]``."""
    bootstrap_rounds: int

    @property
    def issue_rate(self) -> float:
        """Flagged rows / rows."""
        return len(self.issues) / self.rows if self.rows else 0.0


def estimate(
    labels: IntArray, probs: FloatArray, *, seed: int, rounds: int = 0, confidence: float = 0.95
) -> NoiseEstimate:
    """Noise rate, its interval and the flagged rows; ``rounds`` 0 picks a size-aware default."""
    import numpy as np

    n = len(labels)
    if not rounds:
        rounds = 400 if n * probs.shape[1] <= 200_000 else 200
    point = noise_rate(labels, probs)
    flagged = label_issues(labels, probs)
    boot = bootstrap_noise(labels, probs, rounds=rounds, seed=seed, confidence=confidence)
    z = Z95 if confidence == 0.95 else _z(confidence)
    count = round(point * n)
    low, high = wilson(count, n, z)
    return NoiseEstimate(
        rows=n,
        noise_rate=point,
        lower=min(boot[0], low),
        upper=max(boot[1], high),
        confidence=confidence,
        issues=tuple(int(i) for i in np.flatnonzero(flagged)),
        joint=tuple(tuple(int(v) for v in row) for row in calibrate(
            confident_joint(labels, probs)[0], labels)),
        bootstrap_rounds=rounds,
    )  # fmt: skip


def _z(confidence: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)
