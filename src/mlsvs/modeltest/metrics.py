"""Metrics with uncertainty: Wilson intervals, ROC, AUC, TPR at low FPR, bootstrap CIs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.floating]

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (``(0, 1)`` when ``n`` is 0)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True, kw_only=True)
class Roc:
    """ROC curve of an attack score (higher = more likely positive / member)."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    auc: float

    def tpr_at(self, max_fpr: float) -> float:
        """Highest TPR whose FPR does not exceed ``max_fpr``."""
        best = 0.0
        for f, t in zip(self.fpr, self.tpr, strict=True):
            if f <= max_fpr + 1e-12:
                best = max(best, t)
        return best

    @property
    def advantage(self) -> float:
        """Membership advantage: max over thresholds of TPR - FPR."""
        return max((t - f for f, t in zip(self.fpr, self.tpr, strict=True)), default=0.0)


def roc(pos_scores: Array, neg_scores: Array) -> Roc:
    """Exact ROC with tied scores grouped into one threshold step."""
    import numpy as np

    scores = np.concatenate([pos_scores, neg_scores]).astype(np.float64)
    labels = np.concatenate([np.ones(len(pos_scores)), np.zeros(len(neg_scores))])
    order = np.argsort(-scores, kind="mergesort")
    s, lab = scores[order], labels[order]
    tp = np.cumsum(lab)
    fp = np.cumsum(1 - lab)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each tie group
    n_pos, n_neg = max(len(pos_scores), 1), max(len(neg_scores), 1)
    tpr = np.r_[0.0, tp[last] / n_pos]
    fpr = np.r_[0.0, fp[last] / n_neg]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    return Roc(fpr=tuple(fpr.tolist()), tpr=tuple(tpr.tolist()), auc=auc)


def auc_only(pos_scores: Array, neg_scores: Array) -> float:
    """AUC by ranks (Mann-Whitney U with midranks for ties); fast for bootstrapping."""
    import numpy as np
    from scipy.stats import rankdata

    n_pos, n_neg = len(pos_scores), len(neg_scores)
    if n_pos == 0 or n_neg == 0:
        return 0.5
    ranks = rankdata(np.concatenate([pos_scores, neg_scores]))
    u = float(ranks[:n_pos].sum()) - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def bootstrap_auc(
    pos_scores: Array, neg_scores: Array, *, seed: int, n_boot: int = 200
) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the AUC (resampling both groups)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for b in range(n_boot):
        p = pos_scores[rng.integers(0, len(pos_scores), len(pos_scores))]
        n = neg_scores[rng.integers(0, len(neg_scores), len(neg_scores))]
        values[b] = auc_only(p, n)
    lo, hi = np.quantile(values, [0.025, 0.975])
    return (float(lo), float(hi))


def bootstrap_tpr_at(
    pos_scores: Array, neg_scores: Array, max_fpr: float, *, seed: int, n_boot: int = 200
) -> tuple[float, float]:
    """95 % percentile bootstrap interval of TPR at ``max_fpr``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for b in range(n_boot):
        p = pos_scores[rng.integers(0, len(pos_scores), len(pos_scores))]
        n = neg_scores[rng.integers(0, len(neg_scores), len(neg_scores))]
        values[b] = roc(p, n).tpr_at(max_fpr)
    lo, hi = np.quantile(values, [0.025, 0.975])
    return (float(lo), float(hi))


def thin(fpr: tuple[float, ...], tpr: tuple[float, ...], max_points: int = 200) -> list[int]:
    """Indices of at most ``max_points`` ROC points, log-spaced in FPR (for plotting)."""
    if len(fpr) <= max_points:
        return list(range(len(fpr)))
    keep = {0, len(fpr) - 1}
    targets = [10 ** (-4 + 4 * i / (max_points - 3)) for i in range(max_points - 2)]
    j = 0
    for t in targets:
        while j < len(fpr) - 1 and fpr[j + 1] <= t:
            j += 1
        keep.add(j)
    return sorted(keep)


def tpr_at_fpr(pos_scores: Array, neg_scores: Array, max_fpr: float) -> float:
    """Highest TPR with FPR <= ``max_fpr`` (same answer as ``roc(...).tpr_at``, in O(n)).

    With ``k = floor(max_fpr * n_neg)`` false positives allowed, the threshold is the
    (k+1)-th largest non-member score: members strictly above it are detected.
    """
    import numpy as np

    n_neg = len(neg_scores)
    if len(pos_scores) == 0:
        return 0.0
    k = math.floor(max_fpr * n_neg + 1e-9)
    if k >= n_neg:
        return 1.0
    cut = float(-np.partition(-np.asarray(neg_scores, dtype=np.float64), k)[k])
    return float(np.mean(np.asarray(pos_scores) > cut))


def advantage(pos_scores: Array, neg_scores: Array) -> float:
    """max over thresholds of TPR - FPR (numpy only; ties grouped)."""
    import numpy as np

    scores = np.concatenate([pos_scores, neg_scores]).astype(np.float64)
    labels = np.concatenate([np.ones(len(pos_scores)), np.zeros(len(neg_scores))])
    order = np.argsort(-scores, kind="mergesort")
    s, lab = scores[order], labels[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp, fp = np.cumsum(lab)[last], np.cumsum(1 - lab)[last]
    diff = tp / max(len(pos_scores), 1) - fp / max(len(neg_scores), 1)
    return float(max(0.0, diff.max())) if diff.size else 0.0


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    from scipy.stats import beta

    if n == 0:
        return (0.0, 1.0)
    a = (1 - confidence) / 2
    lo = 0.0 if successes == 0 else float(beta.ppf(a, successes, n - successes + 1))
    hi = 1.0 if successes == n else float(beta.ppf(1 - a, successes + 1, n - successes))
    return (lo, hi)
