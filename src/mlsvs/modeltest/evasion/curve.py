"""Robust accuracy over a list of ε for one attack, with per-point query counts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.modeltest.evasion.blackbox import hop_skip_jump, square
from mlsvs.modeltest.evasion.whitebox import PgdParams, fgsm, pgd
from mlsvs.modeltest.metrics import wilson

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter
    from mlsvs.modeltest.evasion.constraints import Norm

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


@enum.unique
class Attack(enum.StrEnum):
    """Attacks whose numbers go into reports."""

    FGSM = "fgsm"
    PGD = "pgd"
    SQUARE = "square"
    HOPSKIPJUMP = "hopskipjump"


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvePoint:
    """Robust accuracy at one ε, with its Wilson interval."""

    eps: float
    robust: int
    n: int
    queries: int

    @property
    def accuracy(self) -> float:
        """Fraction of inputs still classified correctly under the attack."""
        return self.robust / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson 95 % interval."""
        return wilson(self.robust, self.n)


def _seed(seed: int, attack: Attack, eps: float) -> list[int]:
    return [seed, list(Attack).index(attack), round(eps * 1e6)]


def curve(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    epsilons: tuple[float, ...],
    *,
    attack: Attack,
    norm: Norm,
    seed: int,
    pgd_params: PgdParams | None = None,
    queries_per_input: int = 1000,
    counter: object = None,
) -> tuple[CurvePoint, ...]:
    """Robust accuracy at every ε (points misclassified without attack count as broken)."""
    import numpy as np

    def used() -> int:
        return int(getattr(counter, "used", 0))

    points: list[CurvePoint] = []
    if attack is Attack.HOPSKIPJUMP:  # one minimal-distance run serves every ε
        before = used()
        rng = np.random.default_rng(_seed(seed, attack, 0.0))
        dist, _ = hop_skip_jump(model, x, y, norm, queries_per_input=queries_per_input, rng=rng)
        q = used() - before
        return tuple(
            CurvePoint(eps=eps, robust=int((dist > eps).sum()), n=len(y), queries=q)
            for eps in epsilons
        )
    for eps in epsilons:
        before = used()
        rng = np.random.default_rng(_seed(seed, attack, eps))
        if eps <= 0:
            pred = model.predict(x)
        elif attack is Attack.FGSM:
            pred = model.predict(fgsm(model, x, y, eps, norm))
        elif attack is Attack.PGD:
            params = pgd_params or PgdParams(norm=norm)
            _, pred = pgd(model, x, y, eps, params, rng)
        else:
            _, pred, _ = square(
                model, x, y, eps, norm, queries_per_input=queries_per_input, rng=rng
            )
        points.append(
            CurvePoint(eps=eps, robust=int((pred == y).sum()), n=len(y), queries=used() - before)
        )
    return tuple(points)
