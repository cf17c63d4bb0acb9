"""Black-box attacks over any ``predict_proba``/``predict``: Square (score-based) and
HopSkipJump (decision-based). Every candidate is projected onto valid inputs (bounds,
integer features, one-hot groups) before it is queried; budgets are per input.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mlsvs.modeltest.evasion.constraints import Constraints, Norm, norm_of, project

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]

_P_SCHEDULE = ((10, 2), (50, 4), (200, 8), (500, 16), (1000, 32), (2000, 64), (4000, 128))


def _margin(scores: Array, y: Labels) -> Array:
    """Score of the true class minus the best other score (> 0: still correct)."""
    import numpy as np

    idx = np.arange(len(y))
    true = scores[idx, y].copy()
    other = scores.copy()
    other[idx, y] = -np.inf
    out: Array = true - other.max(axis=1)
    return out


def _fraction(p_init: float, it: int, budget: int) -> float:
    scaled = int(it * 10000 / max(budget, 1))
    div = 1
    for bound, d in _P_SCHEDULE:
        if scaled > bound:
            div = d
    return p_init / div


def square(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    eps: float,
    norm: Norm,
    *,
    queries_per_input: int,
    rng: np.random.Generator,
    p_init: float = 0.3,
) -> tuple[Array, Labels, Array]:
    """Square attack (Andriushchenko et al. 2020), random windows of features.

    Returns adversarial inputs, predictions and queries used per input.
    """
    import numpy as np

    c = Constraints(spec=model.input_spec)
    n, d = x.shape[0], int(np.prod(x.shape[1:]))
    unit = c.scale()
    x0 = x.reshape(n, d)
    if norm is Norm.LINF:
        init = x0 + (eps * unit * rng.choice(np.array([-1.0, 1.0]), size=(n, d))).astype(x.dtype)
    else:
        g = rng.standard_normal(size=(n, d))
        init = x0 + (eps * unit * g / np.linalg.norm(g, axis=1, keepdims=True)).astype(x.dtype)
    adv = project(init.reshape(x.shape), x, eps, norm, c).reshape(n, d)
    margin = _margin(model.predict_proba(adv.reshape(x.shape)), y)
    clean = _margin(model.predict_proba(x), y)
    keep_clean = clean < margin  # the random init must not make things easier for the model
    adv[keep_clean] = x0[keep_clean]
    margin = np.minimum(margin, clean)
    used = np.full(n, 2.0)
    for it in range(2, queries_per_input):
        active = np.nonzero(margin > 0)[0]
        if active.size == 0:
            break
        k = max(1, round(_fraction(p_init, it, queries_per_input) * d))
        cand = adv[active].copy()
        for row, i in enumerate(active):
            window = rng.choice(d, size=k, replace=False)
            if norm is Norm.LINF:
                signs = rng.choice([-1.0, 1.0], size=k)
                cand[row, window] = x0[i, window] + eps * unit[window] * signs
            else:
                cand[row, window] += rng.standard_normal(k) * eps / math.sqrt(k) * unit[window]
        xa = x.reshape(n, d)[active]
        cand = project(cand, xa, eps, norm, c)
        new = _margin(model.predict_proba(cand.reshape((-1, *x.shape[1:]))), y[active])
        used[active] += 1
        better = new < margin[active]
        adv[active[better]] = cand[better]
        margin[active[better]] = new[better]
    out = adv.reshape(x.shape)
    return out, model.predict(out), used


def hop_skip_jump(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    norm: Norm,
    *,
    queries_per_input: int,
    rng: np.random.Generator,
    init_evals: int = 50,
    max_evals: int = 200,
) -> tuple[Array, Array]:
    """HopSkipJump (Chen et al. 2020), decision-only. Returns the smallest adversarial
    distance found per input (``inf`` if none within the budget) and queries used.
    """
    import numpy as np

    dist = np.full(x.shape[0], np.inf)
    used = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        dist[i], used[i] = _hsja_one(
            model, x[i : i + 1], int(y[i]), norm, queries_per_input, rng, init_evals, max_evals
        )
    return dist, used


def _hsja_one(
    model: ModelAdapter,
    x0: Array,
    label: int,
    norm: Norm,
    budget: int,
    rng: np.random.Generator,
    init_evals: int,
    max_evals: int,
) -> tuple[float, int]:
    import numpy as np

    c = Constraints(spec=model.input_spec)
    lo, hi = c.bounds()
    shape = x0.shape[1:]
    unit = c.scale().reshape(shape)
    used = 0

    def dist(z: Array) -> float:
        return float(norm_of(z - x0, norm, c)[0])

    def valid(batch: Array) -> Array:
        return project(batch, np.repeat(x0, len(batch), axis=0), math.inf, norm, c)

    def adversarial(batch: Array) -> Array:
        nonlocal used
        used += len(batch)
        return np.asarray(model.predict(batch) != label)

    if adversarial(x0)[0]:
        return 0.0, used
    # Start: uniform noise in the domain, then the closest point that is misclassified.
    n_init = min(100, max(budget // 4, 1))
    noise = rng.uniform(lo, hi, size=(n_init, lo.size)).reshape((n_init, *shape))
    noise = valid(noise.astype(x0.dtype))
    hits = noise[adversarial(noise)]
    if len(hits) == 0:
        return math.inf, used
    start = hits[np.argmin(norm_of(hits - x0, norm, c))][None]

    def toward(x_adv: Array, a: float) -> Array:
        """Point at fraction ``a`` of the way from x0 to x_adv (L∞: clip the perturbation)."""
        if norm is Norm.LINF:
            r = a * dist(x_adv) * unit
            return valid(x0 + np.clip(x_adv - x0, -r, r))
        return valid(x0 + a * (x_adv - x0))

    def boundary(x_adv: Array) -> Array:
        low, high = 0.0, 1.0
        while high - low > 1e-3 and used < budget:
            mid = (low + high) / 2
            if adversarial(toward(x_adv, mid))[0]:
                high = mid
            else:
                low = mid
        return toward(x_adv, high)

    cur = boundary(start)
    best = dist(cur)
    it = 0
    while used < budget:
        it += 1
        d = dist(cur)
        n_evals = min(int(init_evals * math.sqrt(it)), max_evals, budget - used)
        if n_evals < 2:
            break
        delta = max(d * 0.1 / math.sqrt(it), 1e-6)
        if norm is Norm.LINF:
            u = rng.uniform(-1, 1, size=(n_evals, *shape))
        else:
            u = rng.standard_normal(size=(n_evals, *shape))
        u /= np.maximum(norm_of(u, Norm.L2), 1e-12).reshape((-1,) + (1,) * len(shape))
        probes = valid((cur + delta * u * unit).astype(x0.dtype))
        f = np.where(adversarial(probes), 1.0, -1.0)
        f = f - f.mean() if abs(f.mean()) < 1.0 else f
        grad = (f.reshape((-1,) + (1,) * len(shape)) * u).mean(axis=0)
        if norm is Norm.LINF:
            direction = np.sign(grad)
        else:
            direction = grad / max(float(np.linalg.norm(grad)), 1e-12)
        step = d / math.sqrt(it)
        moved = None
        while used < budget and step > 1e-8:
            trial = valid((cur + step * (direction * unit)[None]).astype(x0.dtype))
            if adversarial(trial)[0]:
                moved = trial
                break
            step /= 2
        if moved is None:
            break
        cur = boundary(moved)
        best = min(best, dist(cur))
    return best, used
