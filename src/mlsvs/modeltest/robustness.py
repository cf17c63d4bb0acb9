"""Evasion robustness tests: black-box (M6.2.1) and white-box with sanity checks (M6.2.2)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import floats
from mlsvs.modeltest.evasion.constraints import Constraints, norm_of
from mlsvs.modeltest.evasion.curve import Attack, CurvePoint, curve
from mlsvs.modeltest.evasion.whitebox import PgdParams
from mlsvs.modeltest.result import TestResult, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.model.result import Facts
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset


@dataclass(frozen=True, slots=True, kw_only=True)
class Sanity:
    """One gradient-masking sanity check (Carlini et al. 2019)."""

    name: str
    ok: bool
    detail: str


def _setup(cfg: ModelTestConfig, test: Dataset) -> tuple[Dataset, float, tuple[float, ...]]:
    import numpy as np

    rob = cfg.robustness
    eps = rob.get_float("epsilon", 0.1)
    eps_list = floats(rob.get("epsilons", [0.0, eps / 2, eps, 2 * eps]), "robustness.epsilons")
    grid = tuple(sorted({0.0, eps, *eps_list}))
    data = test.take(rob.get_int("samples", 200), np.random.default_rng([cfg.seed, 602]))
    return data, eps, grid


def pgd_params(cfg: ModelTestConfig) -> PgdParams:
    """PGD settings from the config."""
    rob = cfg.robustness
    step = rob.values.get("step_size")
    return PgdParams(
        norm=cfg.norm,
        steps=rob.get_int("steps", 10),
        step_size=float(step) if isinstance(step, (int, float)) else None,
        random_start=bool(rob.get("random_start", True)),
        restarts=rob.get_int("restarts", 1),
        schedule=cfg.schedule,
    )


def _measurement(
    name: str, attack: Attack, points: tuple[CurvePoint, ...], eps: float, facts: Facts
) -> Measurement:
    main = next(p for p in points if p.eps == eps)
    lo, hi = main.interval
    return Measurement(
        name=name,
        value=main.accuracy,
        lower=lo,
        upper=hi,
        confidence=0.95,
        parameters=facts,
        series=tuple(SeriesPoint(x=p.eps, y=p.accuracy) for p in points),
        x_label="epsilon",
        y_label=f"robust accuracy ({attack.value})",
    )


def blackbox_attack(cfg: ModelTestConfig) -> Attack:
    """The configured black-box attack."""
    return Attack(cfg.robustness.get_str("blackbox_attack", "square"))


def blackbox(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Robust accuracy under a score- or decision-based attack at a per-input query budget."""
    data, eps, grid = _setup(cfg, test)
    attack = blackbox_attack(cfg)
    qpi = cfg.robustness.get_int("queries_per_input", 500)
    pts = curve(
        model, data.x, data.y, grid, attack=attack, norm=cfg.norm, seed=cfg.seed,
        queries_per_input=qpi, counter=model,
    )  # fmt: skip
    threshold = cfg.robustness.threshold("blackbox_robust_accuracy_min")
    threshold = threshold or cfg.robustness.threshold("robust_accuracy_min")
    facts = params(
        attack=attack.value, norm=cfg.norm.value, epsilon=eps, epsilons=grid, seed=cfg.seed,
        samples=len(data), data=data.source, queries_per_input=qpi,
        queries_total=sum(p.queries for p in pts), output_kind=model.output_kind.value,
        constraints=_constraints(model), thresholds=threshold.describe() if threshold else None,
    )  # fmt: skip
    m = _measurement("blackbox_robust_accuracy", attack, pts, eps, facts)
    d = decide(m.value, threshold, cfg.level)
    m = replace(m, threshold=d.limit)
    text = (
        f"{attack.value} ({cfg.norm.value}, ε={eps:g}, {qpi} queries/input): "
        f"robust accuracy {m.value:.4f} (95 % CI {m.lower:.4f}-{m.upper:.4f}, n={len(data)})"
    )
    art = _art_breadth(model, data, eps, cfg)
    tol = cfg.robustness.get_float("sanity_tolerance", 0.03)
    stronger = [f"{k} {v:.3f}" for k, v in art if v < m.value - tol]
    facts_out = tuple((f"art.{k}.robust_accuracy", f"{v:.6g}") for k, v in art)
    if stronger:
        return TestResult(
            name="blackbox_evasion", ok=False, measurements=(m,), facts=facts_out,
            message=f"{text}: ART finds lower robust accuracy ({', '.join(stronger)}), so the "
            "native attack overstates robustness; raise queries_per_input",
        )  # fmt: skip
    return TestResult(
        name="blackbox_evasion", ok=d.ok, message=f"{text}: {d.text}", measurements=(m,),
        facts=facts_out,
    )  # fmt: skip


def _art_breadth(
    model: BudgetedModel, data: Dataset, eps: float, cfg: ModelTestConfig
) -> tuple[tuple[str, float], ...]:
    """Robust accuracy under optional ART attacks, decided by mlsvs (valid, within ε)."""
    import numpy as np

    from mlsvs.modeltest.config import strs
    from mlsvs.modeltest.evasion.constraints import project

    names = strs(cfg.robustness.get("art_attacks", []), "robustness.art_attacks")
    if not names:
        return ()
    from mlsvs.adapters.models.art import art_candidates

    c = Constraints(spec=model.input_spec)
    clean_ok = model.predict(data.x) == data.y
    out: list[tuple[str, float]] = []
    for name in names:
        cand = art_candidates(
            model, data.x, data.y, name, eps=eps, norm=cfg.norm.value,
            max_iter=cfg.robustness.get_int("art_max_iter", 50), seed=cfg.seed,
        )  # fmt: skip
        repaired = project(cand, data.x, float("inf"), cfg.norm, c)
        valid = np.isclose(repaired, cand).reshape(len(cand), -1).all(axis=1)
        inside = norm_of(cand - data.x, cfg.norm, c) <= eps + 1e-6
        broken = (model.predict(cand) != data.y) & valid & inside
        out.append((name, float((clean_ok & ~broken).mean())))
    return tuple(out)


def _constraints(model: BudgetedModel) -> str:
    c = Constraints(spec=model.input_spec)
    s = model.input_spec
    lo, hi = c.bounds()
    return (
        f"bounds=[{float(lo.min()):g},{float(hi.max()):g}] integer={len(s.integer_features)} "
        f"one_hot_groups={len(s.one_hot_groups)} fixed={len(s.fixed_features)} "
        f"scale={'per-feature' if c.scaled else '1'}"
    )


def whitebox(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """PGD robust-accuracy curve plus the sanity checks that expose gradient masking."""
    if not model.has_gradient:
        return TestResult(
            name="whitebox_evasion",
            ok=None,
            message="not verified: the model gives no input gradient (white-box needs the "
            "torch adapter, a logistic regression or a callable with grad_fn)",
        )
    data, eps, grid = _setup(cfg, test)
    p = pgd_params(cfg)
    tol = cfg.robustness.get_float("sanity_tolerance", 0.03)
    qpi = cfg.robustness.get_int("queries_per_input", 500)

    def at(
        eps_list: tuple[float, ...], attack: Attack, pp: PgdParams | None = None
    ) -> tuple[CurvePoint, ...]:
        return curve(
            model, data.x, data.y, eps_list, attack=attack, norm=cfg.norm, seed=cfg.seed,
            pgd_params=pp, queries_per_input=qpi, counter=model,
        )  # fmt: skip

    pts = at(grid, Attack.PGD, p)
    base = next(pt for pt in pts if pt.eps == eps).accuracy
    strong_acc = at((eps,), Attack.PGD, replace(p, steps=p.steps * 2, restarts=p.restarts + 1))[0]
    fgsm_acc = at((eps,), Attack.FGSM)[0].accuracy
    bb = blackbox_attack(cfg)
    bb_acc = at((eps,), bb)[0].accuracy
    c = Constraints(spec=model.input_spec)
    lo, hi = c.bounds()
    span = float(norm_of(((hi - lo) / c.scale())[None], cfg.norm)[0])
    big_p = replace(p, steps=max(p.steps, 20), random_start=False)
    big = at((span,), Attack.PGD, big_p)[0].accuracy
    checks = _sanity(pts, base, strong_acc.accuracy, fgsm_acc, bb_acc, bb, big, tol)
    threshold = cfg.robustness.threshold("robust_accuracy_min")
    facts = params(
        attack="pgd", epsilon=eps, epsilons=grid, seed=cfg.seed, samples=len(data),
        data=data.source, queries_total=model.used, sanity_tolerance=tol,
        constraints=_constraints(model), thresholds=threshold.describe() if threshold else None,
        fgsm_robust_accuracy=fgsm_acc, strong_pgd_robust_accuracy=strong_acc.accuracy,
        blackbox_robust_accuracy=bb_acc, large_eps_robust_accuracy=big,
    ) + p.describe(eps)  # fmt: skip
    m = _measurement("robust_accuracy", Attack.PGD, pts, eps, tuple(sorted(facts)))
    d = decide(m.value, threshold, cfg.level)
    m = replace(m, threshold=d.limit)
    sanity_facts = tuple((f"sanity.{c.name}", "pass" if c.ok else "fail") for c in checks)
    bad = [c for c in checks if not c.ok]
    text = (
        f"PGD-{p.steps} ({cfg.norm.value}, ε={eps:g}, restarts {p.restarts}): robust accuracy "
        f"{m.value:.4f} (95 % CI {m.lower:.4f}-{m.upper:.4f}, n={len(data)})"
    )
    if bad:
        why = "; ".join(c.detail for c in bad)
        return TestResult(
            name="whitebox_evasion", ok=False, measurements=(m,), facts=sanity_facts,
            message=f"{text}: sanity check failed (possible gradient masking): {why}",
        )  # fmt: skip
    return TestResult(
        name="whitebox_evasion", ok=d.ok, message=f"{text}; sanity checks pass: {d.text}",
        measurements=(m,), facts=sanity_facts,
    )  # fmt: skip


def _sanity(
    pts: tuple[CurvePoint, ...],
    base: float,
    strong: float,
    fgsm_acc: float,
    bb_acc: float,
    bb: Attack,
    big: float,
    tol: float,
) -> tuple[Sanity, ...]:
    rising = [
        f"{b.eps:g}->{a.eps:g}"
        for a, b in zip(pts[1:], pts[:-1], strict=True)
        if a.accuracy > b.accuracy + tol
    ]
    return (
        Sanity(name="monotone_in_epsilon", ok=not rising,
               detail=f"robust accuracy rises with ε at {', '.join(rising)}"),
        Sanity(name="more_steps_not_higher", ok=strong <= base + tol,
               detail=f"a stronger PGD gives higher robust accuracy ({strong:.3f} > {base:.3f})"),
        Sanity(name="converged", ok=strong >= base - tol,
               detail=f"PGD not converged: a stronger run gives {strong:.3f} < {base:.3f}"),
        Sanity(name="fgsm_not_stronger", ok=fgsm_acc >= base - tol,
               detail=f"FGSM beats PGD ({fgsm_acc:.3f} < {base:.3f})"),
        Sanity(name="blackbox_not_stronger", ok=bb_acc >= base - tol,
               detail=f"{bb.value} (black-box) beats PGD ({bb_acc:.3f} < {base:.3f})"),
        Sanity(name="unbounded_reaches_zero", ok=big <= tol,
               detail=f"at an ε covering the whole input range robust accuracy is {big:.3f}"),
    )  # fmt: skip
