"""White-box gradient attacks: FGSM and PGD (L∞ / L2, random start, restarts, schedules)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.modeltest.evasion.constraints import Constraints, Norm, project, random_start

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


@enum.unique
class Schedule(enum.StrEnum):
    """Step-size schedule over PGD iterations."""

    CONSTANT = "constant"
    COSINE = "cosine"
    STEP = "step"
    """Halve the step at 50 % and again at 75 % of the iterations."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PgdParams:
    """Every PGD parameter that goes into the report."""

    norm: Norm = Norm.LINF
    steps: int = 10
    step_size: float | None = None
    """Absolute step; ``None`` means ``rel_step * eps``."""
    rel_step: float = 0.25
    """Step as a fraction of ε when ``step_size`` is not set (2.5 ε / 10 steps)."""
    random_start: bool = True
    restarts: int = 1
    schedule: Schedule = Schedule.CONSTANT
    margin_loss: bool = False
    """Ascend the logit margin (Carlini-Wagner loss) instead of the cross-entropy: its gradient
    survives logit scaling / saturated softmax, where the cross-entropy's vanishes."""

    def step_at(self, eps: float, t: int) -> float:
        """Step size at iteration ``t``."""
        base = self.step_size if self.step_size is not None else self.rel_step * eps
        match self.schedule:
            case Schedule.CONSTANT:
                return base
            case Schedule.COSINE:
                return base * 0.5 * (1 + math.cos(math.pi * t / max(self.steps, 1)))
            case Schedule.STEP:
                halvings = int(t >= self.steps // 2) + int(t >= 3 * self.steps // 4)
                return base * 0.5**halvings

    def describe(self, eps: float) -> tuple[tuple[str, str], ...]:
        """Report parameters."""
        return (
            ("norm", self.norm.value),
            ("steps", str(self.steps)),
            ("step_size", f"{self.step_at(eps, 0):.6g}"),
            ("random_start", str(self.random_start).lower()),
            ("restarts", str(self.restarts)),
            ("schedule", self.schedule.value),
            ("loss", "logit_margin" if self.margin_loss else "cross_entropy"),
        )


def _ascent(grad: Array, norm: Norm, c: Constraints | None = None) -> Array:
    """Steepest-ascent direction of unit size in ε units (a fresh array)."""
    import numpy as np

    unit = c.scale().astype(grad.dtype) if c is not None and c.scaled else None
    if norm is Norm.LINF:
        out: Array = np.sign(grad)
        if unit is not None:
            out = (out.reshape(out.shape[0], -1) * unit).reshape(grad.shape)
        return out
    flat = grad.reshape(grad.shape[0], -1)
    if unit is not None:
        flat = flat * unit  # gradient w.r.t. the scaled coordinates
    n = np.sqrt((flat.astype(np.float64) ** 2).sum(axis=1))
    inv = (1.0 / np.maximum(n, 1e-12)).astype(grad.dtype)
    step: Array = flat * inv[:, None]
    if unit is not None:
        step = step * unit
    return step.reshape(grad.shape)


def fgsm(model: ModelAdapter, x: Array, y: Labels, eps: float, norm: Norm) -> Array:
    """One step of size ε along the (signed / normalised) loss gradient."""
    c = Constraints(spec=model.input_spec)
    return project(x + eps * _ascent(model.loss_gradient(x, y), norm, c), x, eps, norm, c)


def pgd_once(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    eps: float,
    params: PgdParams,
    rng: np.random.Generator,
) -> Array:
    """One PGD run (no restarts): maximise the cross-entropy inside the ε-ball.

    An input found misclassified at a checkpoint (every quarter of the steps) keeps that
    adversarial point and leaves the batch: a found adversarial input stays found, and the
    remaining steps are spent only on inputs still classified correctly.
    """
    import numpy as np

    c = Constraints(spec=model.input_spec)
    adv = random_start(x, eps, params.norm, rng, c) if params.random_start else x.copy()
    adv = project(adv, x, eps, params.norm, c)
    checkpoints = {max(1, params.steps * k // 4) for k in (1, 2, 3)} - {params.steps}
    live = np.arange(len(x))
    for t in range(params.steps):
        if live.size == 0:
            break
        step = params.step_at(eps, t)
        xs, ys = x[live], y[live]
        grad_fn = model.margin_gradient if params.margin_loss else model.loss_gradient  # type: ignore[attr-defined]
        move = _ascent(grad_fn(adv[live], ys), params.norm, c)  # a fresh array
        move *= step
        move += adv[live]
        adv[live] = project(move, xs, eps, params.norm, c)
        if t + 1 in checkpoints:
            live = live[model.predict(adv[live]) == ys]
    return adv


def pgd(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    eps: float,
    params: PgdParams,
    rng: np.random.Generator,
) -> tuple[Array, Labels]:
    """PGD with restarts; later restarts attack only the points still classified correctly.

    Returns the adversarial inputs and the model's predictions on them.
    """
    import numpy as np

    adv = x.copy()
    pred = model.predict(x)
    for _ in range(max(params.restarts, 1)):
        todo = np.nonzero(pred == y)[0]
        if todo.size == 0 or eps <= 0:
            break
        cand = pgd_once(model, x[todo], y[todo], eps, params, rng)
        cand_pred = model.predict(cand)
        won = cand_pred != y[todo]
        adv[todo[won]] = cand[won]
        pred[todo[won]] = cand_pred[won]
    return adv, pred
