"""Robust accuracy over a list of ε for one attack, with per-point query counts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.modeltest.evasion.blackbox import ScoreHealth, hop_skip_jump, square_run
from mlsvs.modeltest.evasion.whitebox import PgdParams, fgsm, pgd
from mlsvs.modeltest.metrics import wilson

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter
    from mlsvs.modeltest.evasion.constraints import Norm

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]
    Mask = npt.NDArray[np.bool_]


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


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AttackResult:
    """Per-input outcome of one attack over a list of ε (reusable by other tests)."""

    attack: Attack
    epsilons: tuple[float, ...]
    robust: tuple[Mask, ...]
    """Per ε: which inputs are still classified correctly."""
    queries: tuple[int, ...]
    health: tuple[ScoreHealth, ...] = ()
    """Square only: score health per ε."""
    broken_at: tuple[Array, ...] = ()
    """Square only: per ε, the query index at which each input broke (``inf``: never)."""
    distances: Array | None = None
    """HopSkipJump only: minimal adversarial distance found per input."""

    def at(self, eps: float) -> npt.NDArray[np.bool_]:
        """Robust mask at ``eps`` (must be one of the attacked ε)."""
        return self.robust[self.epsilons.index(eps)]

    def points(self) -> tuple[CurvePoint, ...]:
        """Robust-accuracy curve."""
        return tuple(
            CurvePoint(eps=e, robust=int(m.sum()), n=len(m), queries=q)
            for e, m, q in zip(self.epsilons, self.robust, self.queries, strict=True)
        )


def run_attack(
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
) -> AttackResult:
    """Run ``attack`` at every ε; inputs misclassified without attack count as broken."""
    import numpy as np

    def used() -> int:
        return int(getattr(counter, "used", 0))

    if attack is Attack.HOPSKIPJUMP:  # one minimal-distance run serves every ε
        before = used()
        rng = np.random.default_rng(_seed(seed, attack, 0.0))
        dist, _ = hop_skip_jump(model, x, y, norm, queries_per_input=queries_per_input, rng=rng)
        q = used() - before
        return AttackResult(
            attack=attack, epsilons=tuple(epsilons),
            robust=tuple(np.asarray(dist > eps) for eps in epsilons),
            queries=tuple(q for _ in epsilons), distances=dist,
        )  # fmt: skip
    masks: list[npt.NDArray[np.bool_]] = []
    queries: list[int] = []
    health: list[ScoreHealth] = []
    broken: list[Array] = []
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
            run = square_run(model, x, y, eps, norm, queries_per_input=queries_per_input, rng=rng)
            pred = run.pred
            health.append(run.health)
            broken.append(run.broken_at)
        if attack is Attack.SQUARE and eps <= 0:
            health.append(ScoreHealth(saturated=0.0, flat=0.0))
            broken.append(np.where(pred == y, np.inf, 0.0))
        masks.append(np.asarray(pred == y))
        queries.append(used() - before)
    return AttackResult(
        attack=attack, epsilons=tuple(epsilons), robust=tuple(masks), queries=tuple(queries),
        health=tuple(health), broken_at=tuple(broken),
    )  # fmt: skip


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
    return run_attack(
        model, x, y, epsilons, attack=attack, norm=norm, seed=seed, pgd_params=pgd_params,
        queries_per_input=queries_per_input, counter=counter,
    ).points()  # fmt: skip
