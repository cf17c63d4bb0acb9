"""Black-box attacks over any model adapter: Square (score-based) and HopSkipJump
(decision-based). Every candidate is projected onto valid inputs (bounds, integer features,
one-hot groups) before it is queried; budgets are per input. Both run on whole batches
(numpy), never one Python iteration per row.

Square's margin is computed on float64 log-probabilities (log-softmax of the logits where the
adapter has them), never on probabilities: a model whose softmax saturates to exactly 1.0
would otherwise give every candidate the same margin and look robust. Where the scores
themselves are saturated or flat (an API that returns rounded or saturated probabilities),
:class:`ScoreHealth` says so, and the decision-based attack is the cross-check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.modeltest.evasion.constraints import Constraints, Norm, norm_of, project

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]

_P_SCHEDULE = ((10, 2), (50, 4), (200, 8), (500, 16), (1000, 32), (2000, 64), (4000, 128))
_CHUNK_ELEMENTS = 4_000_000
"""Largest probe array built at once (elements), to bound memory on big inputs."""


def log_scores(model: ModelAdapter, x: Array) -> Array:
    """Float64 log-probabilities of ``model`` (its own log-softmax of logits when it has one)."""
    import numpy as np

    fn = getattr(model, "predict_log_proba", None)
    if callable(fn):
        return np.asarray(fn(x), dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(model.predict_proba(x), dtype=np.float64))


def margin(logp: Array, y: Labels) -> Array:
    """Log-probability of the true class minus the best other one (> 0: still correct).

    Equal to the logit margin for softmax models; ``+inf`` when every other class has a
    probability of exactly 0 (saturated scores).
    """
    import numpy as np

    idx = np.arange(len(y))
    true = logp[idx, y].copy()
    other = logp.copy()
    other[idx, y] = -np.inf
    with np.errstate(invalid="ignore"):
        out: Array = true - other.max(axis=1)
    return np.nan_to_num(out, nan=0.0, posinf=np.inf, neginf=-np.inf)


SATURATED_MARGIN = 104.0
"""A log-probability margin beyond which every other class's probability is exactly 0 in
float32 (``exp(-104)`` is below the smallest subnormal): the model's own softmax is saturated.
mlsvs still sees the margin (float64 log-softmax of the logits), but cross-entropy gradients
taken in the model's precision and any probability the model serves carry nothing, the
signature of logit scaling and defensive distillation (Carlini et al. 2019, section 5). Trained
classifiers stay far below it (a small CNN at 100 % accuracy: margins 5-21)."""


def saturated_share(margins: Array) -> float:
    """Fraction of inputs whose clean margin is infinite or beyond ``SATURATED_MARGIN``."""
    import numpy as np

    if not margins.size:
        return 0.0
    return float(np.mean(~np.isfinite(margins) | (margins > SATURATED_MARGIN)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreHealth:
    """Whether the scores carry the information a score-based attack needs."""

    saturated: float
    """Fraction of clean inputs whose margin is infinite (other classes exactly 0) or beyond
    ``SATURATED_MARGIN`` (exactly 0 in the model's float32 softmax)."""
    flat: float
    """Fraction of Square's candidate queries that left the margin exactly unchanged."""

    def problems(self, *, max_saturated: float = 0.05, max_flat: float = 0.5) -> tuple[str, ...]:
        """What is wrong with the scores, if anything."""
        out: list[str] = []
        if self.saturated > max_saturated:
            out.append(
                f"saturated scores: {self.saturated:.0%} of inputs have every other class at "
                "probability 0 in float32 (saturated softmax: scaled logits or distillation; "
                "cross-entropy gradients and served probabilities carry no margin)"
            )
        if self.flat > max_flat:
            out.append(
                f"flat scores: {self.flat:.0%} of the score-based queries changed nothing "
                "(rounded, quantised or saturated outputs)"
            )
        return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SquareRun:
    """Outcome of one Square run."""

    adv: Array
    pred: Labels
    used: Array
    """Queries spent per input."""
    broken_at: Array
    """Query index at which each input was first misclassified (``inf``: never)."""
    health: ScoreHealth


def _fraction(p_init: float, it: int, budget: int) -> float:
    scaled = int(it * 10000 / max(budget, 1))
    div = 1
    for bound, d in _P_SCHEDULE:
        if scaled > bound:
            div = d
    return p_init / div


def _image_layout(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(channels, height, width) for channel-first images, else None (tabular / other)."""
    if len(shape) == 3 and shape[1] >= 4 and shape[2] >= 4:
        return shape[0], shape[1], shape[2]
    if len(shape) == 2 and shape[0] >= 4 and shape[1] >= 4:
        return 1, shape[0], shape[1]
    return None


def square_run(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    eps: float,
    norm: Norm,
    *,
    queries_per_input: int,
    rng: np.random.Generator,
    p_init: float = 0.3,
) -> SquareRun:
    """Square attack (Andriushchenko et al. 2020) on log-probability margins.

    Images (C, H, W) get square windows with one sign per channel as in the paper; other
    inputs get random feature subsets. All still-correct inputs move together each step.
    """
    import numpy as np

    c = Constraints(spec=model.input_spec)
    n, d = x.shape[0], int(np.prod(x.shape[1:]))
    unit = c.scale()
    shape = x.shape[1:]
    layout = _image_layout(tuple(shape)) if norm is Norm.LINF else None
    x0 = x.reshape(n, d)

    def ask(z: Array, labels: Labels) -> Array:
        return margin(log_scores(model, z.reshape((-1, *shape))), labels)

    if layout is not None:  # vertical stripes of ±ε, one sign per channel and column (paper)
        ch, h, w = layout
        stripes = rng.choice(np.array([-1.0, 1.0]), size=(n, ch, 1, w))
        signs = np.broadcast_to(stripes, (n, ch, h, w)).reshape(n, d)
        init = x0 + (eps * unit * signs).astype(x.dtype)
    elif norm is Norm.LINF:
        init = x0 + (eps * unit * rng.choice(np.array([-1.0, 1.0]), size=(n, d))).astype(x.dtype)
    else:
        g = rng.standard_normal(size=(n, d))
        init = x0 + (eps * unit * g / np.linalg.norm(g, axis=1, keepdims=True)).astype(x.dtype)
    adv = project(init.reshape(x.shape), x, eps, norm, c).reshape(n, d)
    clean = ask(x0, y)
    saturated = saturated_share(clean)
    cur = ask(adv, y)
    keep_clean = clean <= cur  # the random init must not make things easier for the model
    adv[keep_clean] = x0[keep_clean]
    cur = np.minimum(cur, clean)
    used = np.full(n, 2.0)
    broken_at = np.where(clean <= 0, 0.0, np.where(cur <= 0, 2.0, np.inf))
    unchanged = total = 0
    for it in range(2, queries_per_input):
        active = np.nonzero(cur > 0)[0]
        if active.size == 0:
            break
        frac = _fraction(p_init, it, queries_per_input)
        cand = adv[active].copy()
        base = x0[active]
        m = active.size
        if layout is not None:
            ch, h, w = layout
            side = int(np.clip(round(math.sqrt(frac * h * w)), 1, h - 1))
            r0 = rng.integers(0, h - side + 1, size=m)
            c0 = rng.integers(0, w - side + 1, size=m)
            rows = (np.arange(h)[None, :] >= r0[:, None]) & (
                np.arange(h)[None, :] < (r0 + side)[:, None]
            )
            cols = (np.arange(w)[None, :] >= c0[:, None]) & (
                np.arange(w)[None, :] < (c0 + side)[:, None]
            )
            window = (rows[:, :, None] & cols[:, None, :])[:, None, :, :]
            window = np.broadcast_to(window, (m, ch, h, w)).reshape(m, d)
            signs = rng.choice(np.array([-1.0, 1.0]), size=(m, ch))
            signs = np.repeat(signs, h * w, axis=1)
            value = base + eps * unit * signs
            cand = np.where(window, value, cand).astype(x.dtype)
        else:
            k = max(1, round(frac * d))
            pick = np.argpartition(rng.random((m, d)), k - 1, axis=1)[:, :k]
            row_idx = np.repeat(np.arange(m), k)
            cols_flat = pick.reshape(-1)
            if norm is Norm.LINF:
                signs = rng.choice(np.array([-1.0, 1.0]), size=m * k)
                cand[row_idx, cols_flat] = base[row_idx, cols_flat] + eps * unit[cols_flat] * signs
            else:
                noise = rng.standard_normal(m * k) * eps / math.sqrt(k) * unit[cols_flat]
                cand[row_idx, cols_flat] += noise
        cand = project(cand, base, eps, norm, c)
        differs = np.any(cand != adv[active], axis=1)
        new = ask(cand, y[active])
        used[active] += 1
        unchanged += int(np.sum(differs & (new == cur[active])))
        total += int(differs.sum())
        better = new < cur[active]
        adv[active[better]] = cand[better]
        cur[active[better]] = new[better]
        newly = active[better & (new <= 0)]
        broken_at[newly] = np.minimum(broken_at[newly], it + 1)
    out = adv.reshape(x.shape)
    health = ScoreHealth(saturated=saturated, flat=unchanged / total if total else 0.0)
    return SquareRun(
        adv=out, pred=model.predict(out), used=used, broken_at=broken_at, health=health
    )


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
    """Square attack; returns adversarial inputs, predictions and queries used per input."""
    run = square_run(
        model, x, y, eps, norm, queries_per_input=queries_per_input, rng=rng, p_init=p_init
    )
    return run.adv, run.pred, run.used


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
    n_init: int = 100,
) -> tuple[Array, Array]:
    """HopSkipJump (Chen et al. 2020), decision-only, all inputs in lockstep.

    Returns the smallest adversarial distance found per input (in ε units; ``inf`` if none
    within the budget, 0 for inputs already misclassified) and the queries used per input.
    Starting points: uniform noise in the domain and the other inputs of the batch that the
    model labels differently (the usual "an image of another class" start), whichever is
    closest.
    """
    return _Hsj(model, x, y, norm, queries_per_input, rng, init_evals, max_evals, n_init).run()


class _Hsj:
    """Batched HopSkipJump state (flattened inputs, per-row budgets)."""

    def __init__(
        self,
        model: ModelAdapter,
        x: Array,
        y: Labels,
        norm: Norm,
        budget: int,
        rng: np.random.Generator,
        init_evals: int,
        max_evals: int,
        n_init: int,
    ) -> None:
        import numpy as np

        self.model, self.norm, self.budget, self.rng = model, norm, budget, rng
        self.init_evals, self.max_evals, self.n_init = init_evals, max_evals, n_init
        self.c = Constraints(spec=model.input_spec)
        self.shape = x.shape[1:]
        self.dtype = x.dtype
        self.n, self.d = x.shape[0], int(np.prod(x.shape[1:]))
        self.x0 = x.reshape(self.n, self.d)
        self.y = np.asarray(y)
        self.unit = self.c.scale()
        self.used = np.zeros(self.n)

    def adversarial(self, z: Array, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        import numpy as np

        np.add.at(self.used, rows, 1)
        pred = self.model.predict(z.reshape((-1, *self.shape)).astype(self.dtype, copy=False))
        return np.asarray(pred != self.y[rows])

    def valid(self, z: Array, rows: npt.NDArray[np.int64]) -> Array:
        return project(z.astype(self.dtype, copy=False), self.x0[rows], math.inf, self.norm, self.c)

    def dist(self, z: Array, rows: npt.NDArray[np.int64]) -> Array:
        return norm_of(z - self.x0[rows], self.norm, self.c)

    def toward(self, xa: Array, rows: npt.NDArray[np.int64], a: Array) -> Array:
        """Points at fraction ``a`` of the way from x0 to ``xa`` (L∞: clip the perturbation)."""
        import numpy as np

        base = self.x0[rows]
        if self.norm is Norm.LINF:
            r = (a * self.dist(xa, rows))[:, None] * self.unit[None, :]
            return self.valid(base + np.clip(xa - base, -r, r), rows)
        return self.valid(base + a[:, None] * (xa - base), rows)

    def boundary(self, xa: Array, rows: npt.NDArray[np.int64]) -> Array:
        import numpy as np

        low, high = np.zeros(len(rows)), np.ones(len(rows))
        for _ in range(12):
            todo = np.nonzero((high - low > 1e-3) & (self.used[rows] < self.budget))[0]
            if todo.size == 0:
                break
            mid = (low[todo] + high[todo]) / 2
            hit = self.adversarial(self.toward(xa[todo], rows[todo], mid), rows[todo])
            high[todo[hit]] = mid[hit]
            low[todo[~hit]] = mid[~hit]
        return self.toward(xa, rows, high)

    def starts(self, rows: npt.NDArray[np.int64]) -> tuple[Array, npt.NDArray[np.bool_]]:
        """Closest misclassified start per row (noise or other inputs), and which have one."""
        import numpy as np

        lo, hi = self.c.bounds()
        noise = self.rng.uniform(lo, hi, size=(self.n_init, self.d))
        pool = np.concatenate([noise, self.x0]).astype(self.dtype)
        start = self.x0[rows].copy()
        found = np.zeros(len(rows), dtype=bool)
        per = max(1, _CHUNK_ELEMENTS // max(len(pool) * self.d, 1))
        shared = None
        if not self.c.discrete:  # the pool is valid for every input: ask its labels once
            shared = np.asarray(self.model.predict(pool.reshape((-1, *self.shape))))
            self.used[rows] += math.ceil(len(pool) / max(len(rows), 1))  # amortised share
        for s in range(0, len(rows), per):
            part = rows[s : s + per]
            rep = np.repeat(part, len(pool))
            cand = np.tile(pool, (len(part), 1))
            if shared is None:
                cand = self.valid(cand, rep)
                hit = self.adversarial(cand, rep).reshape(len(part), -1)
            else:
                hit = shared[None, :] != self.y[part][:, None]
            dist = self.dist(cand, rep).reshape(len(part), -1)
            dist[~hit] = np.inf
            best = dist.argmin(axis=1)
            ok = np.isfinite(dist[np.arange(len(part)), best])
            cand = cand.reshape(len(part), len(pool), self.d)
            start[s : s + len(part)] = cand[np.arange(len(part)), best]
            found[s : s + len(part)] = ok
        return start, found

    def gradient(self, cur: Array, rows: npt.NDArray[np.int64], delta: Array, k: int) -> Array:
        """Monte-Carlo sign-of-decision gradient estimate at boundary points (per row)."""
        import numpy as np

        grads = np.zeros((len(rows), self.d))
        per = max(1, _CHUNK_ELEMENTS // max(k * self.d, 1))
        for s in range(0, len(rows), per):
            part = np.arange(s, min(s + per, len(rows)))
            m = len(part)
            if self.norm is Norm.LINF:
                u = self.rng.uniform(-1, 1, size=(m, k, self.d))
            else:
                u = self.rng.standard_normal(size=(m, k, self.d))
            u /= np.maximum(np.linalg.norm(u, axis=2, keepdims=True), 1e-12)
            probes = cur[part][:, None, :] + delta[part][:, None, None] * u * self.unit
            rr = np.repeat(rows[part], k)
            f = np.where(
                self.adversarial(self.valid(probes.reshape(m * k, self.d), rr), rr), 1.0, -1.0
            )
            f = f.reshape(m, k)
            mean = f.mean(axis=1, keepdims=True)
            f = np.where(np.abs(mean) < 1.0, f - mean, f)
            grads[part] = (f[:, :, None] * u).mean(axis=1)
        return grads

    def run(self) -> tuple[Array, Array]:
        import numpy as np

        best = np.full(self.n, np.inf)
        all_rows = np.arange(self.n)
        already = self.adversarial(self.x0, all_rows)
        best[already] = 0.0
        rows = all_rows[~already]
        if rows.size == 0:
            return best, self.used
        start, found = self.starts(rows)
        rows, start = rows[found], start[found]
        if rows.size == 0:
            return best, self.used
        cur = self.boundary(start, rows)
        best[rows] = self.dist(cur, rows)
        it = 0
        while rows.size:
            it += 1
            remaining = self.budget - self.used[rows]
            k = min(int(self.init_evals * math.sqrt(it)), self.max_evals)
            keep = remaining >= k + 2
            rows, cur = rows[keep], cur[keep]
            if rows.size == 0:
                break
            d = self.dist(cur, rows)
            delta = np.maximum(d * 0.1 / math.sqrt(it), 1e-6)
            g = self.gradient(cur, rows, delta, k)
            if self.norm is Norm.LINF:
                direction = np.sign(g)
            else:
                direction = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
            step = d / math.sqrt(it)
            moved = np.zeros(len(rows), dtype=bool)
            out = cur.copy()
            for _ in range(25):
                todo = np.nonzero(~moved & (step > 1e-8) & (self.used[rows] < self.budget))[0]
                if todo.size == 0:
                    break
                trial = self.valid(
                    cur[todo] + step[todo, None] * direction[todo] * self.unit, rows[todo]
                )
                hit = self.adversarial(trial, rows[todo])
                out[todo[hit]] = trial[hit]
                moved[todo[hit]] = True
                step[todo[~hit]] /= 2
            rows, out = rows[moved], out[moved]
            if rows.size == 0:
                break
            cur = self.boundary(out, rows)
            best[rows] = np.minimum(best[rows], self.dist(cur, rows))
        return best, self.used
