"""Membership scores (higher = more likely a member), all from float64 log-probabilities.

Scores come from ``predict_log_proba`` (log-softmax of the logits where the model has them),
never from float32 probabilities: a softmax that rounds to exactly 1.0 makes every confident
record tie and erases the attack's power at low false-positive rates. ``logit`` is the
logit-scaled true-class confidence ``log p_y - log(1 - p_y)`` that LiRA models as Gaussian
(Carlini et al. 2022), computed stably as ``log p_y - logsumexp_{j != y} log p_j``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]
    Mask = npt.NDArray[np.bool_]
    Trainer = Callable[[Array, Labels, int], ModelAdapter]


def _others_lse(logp: Array, y: Labels) -> Array:
    """``log sum_{j != y} p_j`` per row (``-inf`` when every other class has p = 0)."""
    import numpy as np
    from scipy.special import logsumexp

    other = logp.copy()
    other[np.arange(len(y)), y] = -np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = np.asarray(logsumexp(other, axis=1), dtype=np.float64)
    return out


def logit_confidence(logp: Array, y: Labels) -> Array:
    """Stable logit-scaled true-class confidence (finite unless the output itself is 0/1)."""
    import numpy as np

    true = logp[np.arange(len(y)), y]
    with np.errstate(invalid="ignore"):
        out: Array = true - _others_lse(logp, y)
    return np.nan_to_num(out, nan=0.0, posinf=745.0, neginf=-745.0)


def threshold_scores(kind: str, logp: Array, y: Labels) -> Array:
    """``loss``: log p(y) (Yeom et al.); ``confidence``: logit-scaled top-class confidence;
    ``logit``: logit-scaled true-class confidence (LiRA's statistic); ``entropy``: minus the
    entropy. ``logp`` are float64 log-probabilities."""
    import numpy as np

    logp = np.asarray(logp, dtype=np.float64)
    match kind:
        case "loss":
            return np.maximum(logp[np.arange(len(y)), y], -745.0)
        case "confidence":
            return logit_confidence(logp, logp.argmax(axis=1))
        case "logit":
            return logit_confidence(logp, y)
        case "entropy":
            p = np.exp(logp)
            plogp = p * np.where(p > 0, logp, 0.0)
            return np.asarray(plogp.sum(axis=1), dtype=np.float64)
        case _:
            raise ValueError(f"unknown membership score {kind!r}")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LiraStats:
    """Shadow statistics: ``stats[k, i]`` for shadow ``k`` and record ``i``; ``inside[k, i]``
    whether record ``i`` was in shadow ``k``'s training set; ``observed[i]`` the target's."""

    stats: Array
    inside: Mask
    observed: Array

    def scores(self, shadows: npt.NDArray[np.int64] | None = None) -> Array:
        """Online LiRA with a global (fixed) variance over the chosen shadows (all by default);
        a resample of shadows gives LiRA's shadow-model variance."""
        import numpy as np

        st = self.stats if shadows is None else self.stats[shadows]
        m = self.inside if shadows is None else self.inside[shadows]
        in_cnt, out_cnt = m.sum(axis=0), (~m).sum(axis=0)
        mu_in_all = st[m].mean() if m.any() else 0.0
        mu_out_all = st[~m].mean() if (~m).any() else 0.0
        mu_in = np.where(in_cnt > 0, (st * m).sum(axis=0) / np.maximum(in_cnt, 1), mu_in_all)
        mu_out = np.where(out_cnt > 0, (st * ~m).sum(axis=0) / np.maximum(out_cnt, 1), mu_out_all)
        res_in = (st - mu_in)[m]
        res_out = (st - mu_out)[~m]
        sd_in = max(float(np.std(res_in)) if res_in.size else 0.0, 1e-3)
        sd_out = max(float(np.std(res_out)) if res_out.size else 0.0, 1e-3)
        obs = self.observed

        def logpdf(v: Array, mu: Array, sd: float) -> Array:
            out: Array = -0.5 * ((v - mu) / sd) ** 2 - math.log(sd)
            return out

        return logpdf(obs, mu_in, sd_in) - logpdf(obs, mu_out, sd_out)


def lira_stats(
    target: ModelAdapter,
    x: Array,
    y: Labels,
    train: Trainer,
    *,
    shadows: int,
    seed: int,
) -> LiraStats:
    """Train ``shadows`` models with the user's recipe, each on a random half of the candidate
    records, so that every record has IN and OUT shadow statistics (Carlini et al. 2022)."""
    import numpy as np

    from mlsvs.modeltest.evasion.blackbox import log_scores

    rng = np.random.default_rng([seed, 610])
    n = len(y)
    stats = np.empty((shadows, n))
    masks = np.zeros((shadows, n), dtype=bool)
    for k in range(shadows):
        inside = rng.random(n) < 0.5
        masks[k] = inside
        shadow = train(x[inside], y[inside], int(rng.integers(0, 2**31 - 1)))
        stats[k] = logit_confidence(log_scores(shadow, x), y)
    obs = logit_confidence(log_scores(target, x), y)
    return LiraStats(stats=stats, inside=masks, observed=obs)


def lira(
    target: ModelAdapter,
    x: Array,
    y: Labels,
    train: Trainer,
    *,
    shadows: int,
    seed: int,
) -> Array:
    """Online LiRA likelihood ratio per record (higher = member)."""
    return lira_stats(target, x, y, train, shadows=shadows, seed=seed).scores()
