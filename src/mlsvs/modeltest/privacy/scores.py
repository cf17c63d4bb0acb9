"""Membership scores from ``predict_proba`` only (higher = more likely a member), and LiRA."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]
    Trainer = Callable[[Array, Labels, int], ModelAdapter]

_EPS = 1e-12


def threshold_scores(kind: str, proba: Array, y: Labels) -> Array:
    """``loss``: log p(y) (Yeom); ``confidence``: max p; ``entropy``: minus the entropy."""
    import numpy as np

    p = np.clip(proba, _EPS, 1.0)
    match kind:
        case "loss":
            return np.log(p[np.arange(len(y)), y])
        case "confidence":
            return np.asarray(p.max(axis=1), dtype=np.float64)
        case "entropy":
            return np.asarray((p * np.log(p)).sum(axis=1), dtype=np.float64)
        case _:
            raise ValueError(f"unknown membership score {kind!r}")


def _logit_conf(proba: Array, y: Labels) -> Array:
    """Logit-scaled true-class confidence, the statistic LiRA models as Gaussian."""
    import numpy as np

    p = np.clip(proba[np.arange(len(y)), y], 1e-7, 1 - 1e-7)
    out: Array = np.log(p) - np.log1p(-p)
    return out


def lira(
    target: ModelAdapter,
    x: Array,
    y: Labels,
    train: Trainer,
    *,
    shadows: int,
    seed: int,
) -> Array:
    """Online LiRA with a global (fixed) variance (Carlini et al. 2022).

    Each shadow model is trained by the user's recipe on a random half of the candidate
    records, so every record has IN and OUT shadow statistics. Returns the likelihood ratio
    per record (higher = member).
    """
    import numpy as np

    rng = np.random.default_rng([seed, 610])
    n = len(y)
    stats = np.empty((shadows, n))
    masks = np.zeros((shadows, n), dtype=bool)
    for k in range(shadows):
        inside = rng.random(n) < 0.5
        masks[k] = inside
        shadow = train(x[inside], y[inside], int(rng.integers(0, 2**31 - 1)))
        stats[k] = _logit_conf(shadow.predict_proba(x), y)
    obs = _logit_conf(target.predict_proba(x), y)
    in_cnt, out_cnt = masks.sum(axis=0), (~masks).sum(axis=0)
    mu_in_all = stats[masks].mean() if masks.any() else 0.0
    mu_out_all = stats[~masks].mean() if (~masks).any() else 0.0
    mu_in = np.where(in_cnt > 0, (stats * masks).sum(axis=0) / np.maximum(in_cnt, 1), mu_in_all)
    mu_out = np.where(
        out_cnt > 0, (stats * ~masks).sum(axis=0) / np.maximum(out_cnt, 1), mu_out_all
    )
    sd_in = max(float(np.std(stats[masks] - np.broadcast_to(mu_in, stats.shape)[masks])), 1e-3)
    sd_out = max(float(np.std(stats[~masks] - np.broadcast_to(mu_out, stats.shape)[~masks])), 1e-3)

    def logpdf(v: Array, mu: Array, sd: float) -> Array:
        out: Array = -0.5 * ((v - mu) / sd) ** 2 - math.log(sd)
        return out

    return logpdf(obs, mu_in, sd_in) - logpdf(obs, mu_out, sd_out)
