"""Evasion robustness tests: black-box (M6.2.1) and white-box (M6.2.2), both judged on the
pointwise worst case over every attack that ran, and both gated by masking sanity checks
(Carlini et al. 2019, "On Evaluating Adversarial Robustness", section 5):

* robust accuracy does not rise with ε, and an ε covering the whole input range breaks ~all;
* a stronger run (more steps / restarts, or more queries) is not weaker;
* the black-box or decision-based attack does not beat the score-based / white-box one
  (if it does, the stronger-looking attack was masked: saturated scores, broken gradients);
* the scores a score-based attack follows are informative (not saturated, not flat).

An attack gives an *upper bound* on true robust accuracy, so a measured value below the limit
fails whatever the sanity checks say; a value above it passes only when every sanity check
passes, else it is "not verified" with the masking named.

Results of one attack are memoised per session (``memo``): the white-box test reuses the
black-box test's Square and HopSkipJump runs instead of repeating them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mlsvs.model.coverage import GapReason
from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import floats
from mlsvs.modeltest.data import Dataset
from mlsvs.modeltest.evasion.constraints import Constraints, norm_of
from mlsvs.modeltest.evasion.curve import Attack, AttackResult, run_attack
from mlsvs.modeltest.evasion.whitebox import PgdParams
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.model.result import Facts
    from mlsvs.modeltest.config import ModelTestConfig

    Mask = npt.NDArray[np.bool_]

Memo = dict[tuple[object, ...], AttackResult]
SATURATED_SHARE = 0.05
"""Clean inputs with a saturated softmax tolerated before the white-box result is masked
(the black-box test's ``ScoreHealth.problems`` uses the same share)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sanity:
    """One masking sanity check (Carlini et al. 2019)."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Setup:
    """What both evasion tests attack: the sample, the verdict ε, the curve, the budget."""

    data: Dataset
    eps: float
    grid: tuple[float, ...]
    span: float
    """ε that covers the whole input range (the "unbounded" sanity budget)."""
    qpi: int
    eps_source: str


def _image(shape: tuple[int, ...]) -> bool:
    return len(shape) >= 2 and min(shape[-2:]) >= 4


def leveled(cfg: ModelTestConfig, model: BudgetedModel, req: str) -> ModelTestConfig:
    """The config with the standard's robustness parameters applied at a known level.

    ε becomes the standard's fraction of the input range (in ε units: per-feature ``scale``
    included), the norm the standard's; samples, queries, PGD steps and restarts are raised to
    the standard's. A declared absolute ``step_size`` keeps its ratio to ε. Unchanged without a
    level.
    """
    std = cfg.standard
    if not std.active:
        return cfg
    rob = dict(cfg.robustness.values)
    c = Constraints(spec=model.input_spec)
    lo, hi = c.bounds()
    frac = std.value(f"{req}.epsilon")
    if frac is not None:
        old = float(rob.get("epsilon", 0.1))  # type: ignore[arg-type]
        eps = frac * float(((hi - lo) / c.scale()).max())
        step = rob.get("step_size")
        if isinstance(step, (int, float)) and old > 0:
            rob["step_size"] = float(step) * eps / old
        rob["epsilon"] = eps
        rob["epsilons"] = sorted({0.0, eps / 2, eps, 2 * eps})
    norm = std.text(f"{req}.norm")
    if norm is not None:
        rob["norm"] = norm
    rob["samples"] = std.budget(f"{req}.min_samples", int(rob.get("samples", 200)))  # type: ignore[call-overload]
    rob["queries_per_input"] = std.budget(
        "M6.2.1.query_budget",
        int(rob.get("queries_per_input", 500)),  # type: ignore[call-overload]
    )
    if req == "M6.2.2":
        rob["steps"] = std.budget("M6.2.2.pgd_steps", int(rob.get("steps", 10)))  # type: ignore[call-overload]
        rob["restarts"] = std.budget("M6.2.2.restarts", int(rob.get("restarts", 1)))  # type: ignore[call-overload]
    return replace(cfg, robustness=replace(cfg.robustness, values=rob))


def setup(cfg: ModelTestConfig, test: Dataset, model: BudgetedModel) -> Setup:
    """Sample, verdict ε, the reported ε grid and the per-input query budget."""
    import numpy as np

    rob = cfg.robustness
    eps = rob.get_float("epsilon", 0.1)
    source = "standard" if cfg.standard.active else "project"
    c = Constraints(spec=model.input_spec)
    lo, hi = c.bounds()
    eps_list = floats(rob.get("epsilons", [0.0, eps / 2, eps, 2 * eps]), "robustness.epsilons")
    grid = tuple(sorted({0.0, eps, *eps_list}))
    data = test.take(rob.get_int("samples", 200), np.random.default_rng([cfg.seed, 602]))
    span = float(norm_of(((hi - lo) / c.scale())[None], cfg.norm)[0])
    qpi = rob.get_int("queries_per_input", 500)
    return Setup(data=data, eps=eps, grid=grid, span=span, qpi=qpi, eps_source=source)


def pgd_params(cfg: ModelTestConfig) -> PgdParams:
    """PGD settings from the config. A declared absolute ``step_size`` is taken as meant for
    the verdict ε and scaled with every other ε (a fixed absolute step cannot reach far at a
    large ε, which made healthy models look masked)."""
    rob = cfg.robustness
    step = rob.values.get("step_size")
    eps = rob.get_float("epsilon", 0.1)
    rel = float(step) / eps if isinstance(step, (int, float)) and eps > 0 else 0.25
    return PgdParams(
        norm=cfg.norm,
        steps=rob.get_int("steps", 10),
        step_size=None,
        rel_step=rel,
        random_start=bool(rob.get("random_start", True)),
        restarts=rob.get_int("restarts", 1),
        schedule=cfg.schedule,
    )


def blackbox_attack(cfg: ModelTestConfig) -> Attack:
    """The configured black-box attack."""
    return Attack(cfg.robustness.get_str("blackbox_attack", "square"))


def _run(
    memo: Memo,
    model: BudgetedModel,
    s: Setup,
    cfg: ModelTestConfig,
    attack: Attack,
    eps_list: tuple[float, ...],
    pgd: PgdParams | None = None,
) -> AttackResult:
    key = (attack, eps_list, s.qpi, cfg.seed, cfg.norm, pgd, len(s.data), s.data.source)
    if key not in memo:
        memo[key] = run_attack(
            model, s.data.x, s.data.y, eps_list, attack=attack, norm=cfg.norm, seed=cfg.seed,
            pgd_params=pgd, queries_per_input=s.qpi, counter=model,
        )  # fmt: skip
    return memo[key]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class BlackBoxRuns:
    """Score-based (Square, when the model gives scores) and decision-based runs."""

    square: AttackResult | None
    hsj: AttackResult
    hsj_rows: int
    clean: Mask
    """Which inputs the model classifies correctly without attack."""
    """HopSkipJump attacked the first ``hsj_rows`` inputs of the sample (all when the scores
    cannot be trusted, a cross-check subset otherwise)."""

    def hsj_at(self, eps: float) -> Mask:
        """HopSkipJump's robust mask over the whole sample (rows it did not attack: their
        clean correctness, so the decision-based attack never counts a misclassified input
        as robust)."""
        import numpy as np

        part = self.hsj.at(eps)
        return np.concatenate([part, self.clean[len(part) :]])


def _blackbox_runs(
    memo: Memo, model: BudgetedModel, s: Setup, cfg: ModelTestConfig
) -> BlackBoxRuns:
    from mlsvs.adapters.models.spec import OutputKind

    scores = model.output_kind is OutputKind.PROBABILITIES
    sq = None
    if scores and blackbox_attack(cfg) is Attack.SQUARE:
        sq = _run(memo, model, s, cfg, Attack.SQUARE, (s.eps,))
    healthy = sq is not None and not sq.health[0].problems()
    rows = len(s.data)
    if healthy:
        rows = min(rows, cfg.robustness.get_int("crosscheck_samples", 50))
    sub = Setup(data=s.data.head(rows), eps=s.eps, grid=s.grid, span=s.span, qpi=s.qpi,
                eps_source=s.eps_source)  # fmt: skip
    hsj = _run(memo, model, sub, cfg, Attack.HOPSKIPJUMP, tuple(sorted({*s.grid, s.span})))
    clean = model.predict(s.data.x) == s.data.y
    return BlackBoxRuns(square=sq, hsj=hsj, hsj_rows=rows, clean=clean)


def _acc(mask: Mask) -> float:
    return float(mask.mean()) if mask.size else 0.0


def _measurement(
    name: str, label: str, curve: tuple[tuple[float, Mask], ...], eps: float, facts: Facts
) -> Measurement:
    main = next(m for e, m in curve if e == eps)
    lo, hi = wilson(int(main.sum()), len(main))
    return Measurement(
        name=name, value=_acc(main), lower=lo, upper=hi, confidence=0.95, parameters=facts,
        series=tuple(SeriesPoint(x=e, y=_acc(m)) for e, m in curve), x_label="epsilon",
        y_label=f"robust accuracy ({label})",
    )  # fmt: skip


def _envelope(curve: tuple[tuple[float, Mask], ...]) -> tuple[tuple[float, Mask], ...]:
    """An input broken within ε is broken within every larger ε: carry breaks upward."""
    out: list[tuple[float, Mask]] = []
    for e, m in curve:
        out.append((e, m & out[-1][1] if out else m))
    return tuple(out)


def _monotone(curve: tuple[tuple[float, Mask], ...], tol: float) -> Sanity:
    rising = [
        f"{a[0]:g}->{b[0]:g}" for a, b in itertools.pairwise(curve)
        if _acc(b[1]) > _acc(a[1]) + tol
    ]  # fmt: skip
    return Sanity(name="monotone_in_epsilon", ok=not rising,
                  detail=f"robust accuracy rises with ε at {', '.join(rising)}")  # fmt: skip


def _verdict(
    name: TestName, text: str, m: Measurement, checks: tuple[Sanity, ...], cfg: ModelTestConfig,
    req: str, declared_key: str, facts: Facts, clean: float, n: int,
) -> TestResult:  # fmt: skip
    """Decide: a failing value fails; a sanity failure makes a passing value not verified.

    At a known level the standard's floor applies to robust / clean accuracy on the same
    samples (``<req>.min_robust_accuracy_ratio``); without a level, the project's absolute
    threshold applies to robust accuracy.
    """
    own = cfg.robustness.threshold(declared_key)
    if own is None and declared_key == "blackbox_robust_accuracy_min":
        own = cfg.robustness.threshold("robust_accuracy_min")
    threshold, source = cfg.standard.threshold(f"{req}.min_robust_accuracy_ratio", own)
    ratio = m.value / clean if clean > 0 else 0.0
    judged = ratio if cfg.standard.active else m.value
    d = decide(judged, threshold, cfg.level)
    what = f"robust/clean ratio {ratio:.4f} (clean {clean:.4f})" if cfg.standard.active else ""
    extra = (("threshold_source", source), ("robust_to_clean_ratio", f"{ratio:.6g}"))
    m = replace(
        m, threshold=None if cfg.standard.active else d.limit,
        parameters=tuple(sorted((*m.parameters, *extra))),
    )  # fmt: skip
    out: tuple[Measurement, ...] = (m,)
    if cfg.standard.active:
        out += (Measurement(name=f"{m.name}_ratio", value=ratio, threshold=d.limit,
                            parameters=m.parameters),)  # fmt: skip
        text = f"{text}; {what}"
    sanity = tuple((f"sanity.{c.name}", "pass" if c.ok else "fail") for c in checks)
    out_facts = (*facts, *sanity)
    bad = [c for c in checks if not c.ok]
    if d.ok is False:
        why = f"; masking suspected as well: {'; '.join(c.detail for c in bad)}" if bad else ""
        return TestResult(name=name, ok=False, message=f"{text}: {d.text}{why}",
                          measurements=out, facts=out_facts)  # fmt: skip
    need = cfg.standard.value(f"{req}.min_samples")
    if need is not None and n < need:
        msg = f"{req} needs >= {need:g} attacked samples, the test data gave {n}"
        return TestResult(
            name=name, ok=None, measurements=out, facts=out_facts,
            message=f"{text}: not verified: {msg}", gaps=limited("model_tests.data.test", msg),
        )  # fmt: skip
    if bad:
        why = "; ".join(c.detail for c in bad)
        return TestResult(
            name=name, ok=None, measurements=out, facts=out_facts,
            message=f"{text}: not verified: sanity check failed (masking: the attacks may "
            f"overstate robustness): {why}",
            gaps=limited("model", f"masking: {why}", GapReason.UNSUPPORTED),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(name=name, ok=None, measurements=out, facts=out_facts,
                          message=f"{text}: not verified: {d.text}")  # fmt: skip
    return TestResult(name=name, ok=True, message=f"{text}; sanity checks pass: {d.text}",
                      measurements=out, facts=out_facts)  # fmt: skip


def blackbox(
    model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, memo: Memo | None = None
) -> TestResult:
    """Worst-case robust accuracy over Square (scores) and HopSkipJump (decisions)."""
    memo = {} if memo is None else memo
    cfg = leveled(cfg, model, "M6.2.1")
    s = setup(cfg, test, model)
    runs = _blackbox_runs(memo, model, s, cfg)
    tol = cfg.robustness.get_float("sanity_tolerance", 0.03)
    hsj = runs.hsj
    curve = _envelope(tuple(
        (e, runs.hsj_at(e) & runs.square.at(e)) if runs.square and e == s.eps
        else (e, runs.hsj_at(e))
        for e in s.grid
    ))  # fmt: skip
    hsj_acc = _acc(hsj.at(s.eps))
    checks: list[Sanity] = [_monotone(tuple((e, hsj.at(e)) for e in s.grid), tol)]
    unb = _acc(hsj.at(s.span))
    checks.append(Sanity(
        name="unbounded_reaches_zero", ok=unb <= tol,
        detail=f"at an ε covering the whole input range the decision-based attack leaves "
        f"robust accuracy {unb:.3f} (it found no adversarial input for those points)",
    ))  # fmt: skip
    sq_acc = None
    facts: list[tuple[str, str]] = []
    if runs.square is not None:
        sq = runs.square
        sq_acc = _acc(sq.at(s.eps))
        sq_sub = _acc(sq.at(s.eps)[: runs.hsj_rows])
        health = sq.health[sq.epsilons.index(s.eps)]
        broken = sq.broken_at[sq.epsilons.index(s.eps)]
        half = float((broken > s.qpi / 2).mean()) if broken.size else 0.0
        problems = health.problems()
        checks += [
            Sanity(name="scores_informative", ok=not problems, detail="; ".join(problems)),
            Sanity(
                name="decision_not_stronger", ok=hsj_acc >= sq_sub - tol,
                detail=f"the decision-based attack beats the score-based one ({hsj_acc:.3f} < "
                f"{sq_sub:.3f} on the same {runs.hsj_rows} inputs): the scores mask the signal",
            ),
            Sanity(
                name="more_queries_not_weaker", ok=half - sq_acc <= tol,
                detail=f"Square still broke {half - sq_acc:.3f} of the inputs in the second "
                f"half of its budget (not converged: raise queries_per_input above {s.qpi})",
            ),
        ]  # fmt: skip
        facts += [("score_health.saturated", f"{health.saturated:.4g}"),
                  ("score_health.flat", f"{health.flat:.4g}")]  # fmt: skip
    art = _art_breadth(model, s, cfg)
    facts += [(f"art.{k}.robust_accuracy", f"{v:.6g}") for k, v in art]
    worst = next(m for e, m in curve if e == s.eps)
    stronger = [f"{k} {v:.3f}" for k, v in art if v < _acc(worst) - tol]
    if stronger:
        checks.append(Sanity(
            name="art_not_stronger", ok=False,
            detail=f"ART finds lower robust accuracy ({', '.join(stronger)}): the native "
            "attacks overstate robustness; raise queries_per_input",
        ))  # fmt: skip
    attacks = "square+hopskipjump" if runs.square else "hopskipjump"
    p = params(
        attack=attacks, norm=cfg.norm.value, epsilon=s.eps, epsilon_source=s.eps_source,
        epsilons=s.grid, seed=cfg.seed, samples=len(s.data), data=s.data.source,
        queries_per_input=s.qpi, queries_total=model.used, output_kind=model.output_kind.value,
        constraints=_constraints(model), square_robust_accuracy=sq_acc,
        hopskipjump_robust_accuracy=hsj_acc, hopskipjump_samples=runs.hsj_rows,
        unbounded_epsilon=s.span,
        combination="pointwise worst case",
    )  # fmt: skip
    m = _measurement("blackbox_robust_accuracy", attacks, curve, s.eps, p)
    parts = f"Square {sq_acc:.4f}, HopSkipJump {hsj_acc:.4f}" if sq_acc is not None else (
        f"HopSkipJump {hsj_acc:.4f}")  # fmt: skip
    text = (
        f"black-box worst case ({cfg.norm.value}, ε={s.eps:g}, {s.qpi} queries/input; {parts}): "
        f"robust accuracy {m.value:.4f} (95 % CI {m.lower:.4f}-{m.upper:.4f}, n={len(s.data)})"
    )
    clean = _acc(next(mk for e, mk in curve if e == 0.0))
    return _verdict(TestName.BLACKBOX, text, m, tuple(checks), cfg, "M6.2.1",
                    "blackbox_robust_accuracy_min", tuple(facts), clean, len(s.data))  # fmt: skip


def _art_breadth(
    model: BudgetedModel, s: Setup, cfg: ModelTestConfig
) -> tuple[tuple[str, float], ...]:
    """Robust accuracy under optional ART attacks, decided by mlsvs (valid, within ε)."""
    import numpy as np

    from mlsvs.modeltest.config import strs
    from mlsvs.modeltest.evasion.constraints import project

    names = strs(cfg.robustness.get("art_attacks", []), "robustness.art_attacks")
    if not names:
        return ()
    from mlsvs.adapters.models.art import art_candidates

    data, eps = s.data, s.eps
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


def whitebox(
    model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, memo: Memo | None = None
) -> TestResult:
    """PGD curve, judged on the worst case over PGD, a stronger PGD, FGSM and the black-box
    attacks, plus the sanity checks that expose gradient masking."""
    memo = {} if memo is None else memo
    if not model.has_gradient:
        return TestResult(
            name=TestName.WHITEBOX,
            ok=None,
            message="not verified: the model gives no input gradient (white-box needs the "
            "torch adapter, a logistic regression or a callable with grad_fn)",
        )
    cfg = leveled(cfg, model, "M6.2.2")
    s = setup(cfg, test, model)
    p = pgd_params(cfg)
    tol = cfg.robustness.get_float("sanity_tolerance", 0.03)
    pgd = _run(memo, model, s, cfg, Attack.PGD, s.grid, p)
    margin = bool(getattr(model, "has_margin_gradient", False))
    strong_p = replace(p, steps=p.steps * 2, restarts=p.restarts + 1, margin_loss=margin)
    strong = _run(memo, model, s, cfg, Attack.PGD, (s.eps,), strong_p).at(s.eps)
    fgsm = _run(memo, model, s, cfg, Attack.FGSM, (s.eps,)).at(s.eps)
    bb = _blackbox_runs(memo, model, s, cfg)
    big_steps = max(2 * p.steps, 20)
    big_p = PgdParams(
        norm=p.norm,
        steps=big_steps,
        rel_step=2.5 / big_steps,
        random_start=False,
        margin_loss=margin,
    )  # step scales with the budget
    # Unbounded sanity run over the whole input range (Carlini et al.: "unbounded attacks
    # reach ~0"); the standard's max_accuracy_unbounded is the tolerance at a level. Not at
    # 16 x ε: a healthy model may keep its accuracy there at small ε (1/255 x 16 = 0.063 on
    # MNIST-like data), which would call it masked.
    unb_std = cfg.standard.value("M6.2.2.max_accuracy_unbounded")
    unb_eps = s.span
    unb_tol = tol if unb_std is None else unb_std
    big = _acc(_run(memo, model, s, cfg, Attack.PGD, (unb_eps,), big_p).at(unb_eps))
    base = _acc(pgd.at(s.eps))
    bb_mask = bb.hsj_at(s.eps) & (bb.square.at(s.eps) if bb.square else bb.hsj_at(s.eps))
    bb_acc = _acc(bb_mask)
    curve = _envelope(tuple(
        (e, pgd.at(e) & strong & fgsm & bb_mask) if e == s.eps else (e, pgd.at(e) & bb.hsj_at(e))
        for e in s.grid
    ))  # fmt: skip
    if bb.square is not None:
        saturated = bb.square.health[bb.square.epsilons.index(s.eps)].saturated
    else:
        from mlsvs.modeltest.evasion import blackbox as bbox

        saturated = bbox.saturated_share(bbox.margin(bbox.log_scores(model, s.data.x), s.data.y))
    checks = (
        _monotone(tuple((e, pgd.at(e)) for e in s.grid), tol),
        # Decides at every level: at a small ε (L1: 1/255) a saturated model may keep every
        # input under every attack, so no attack comparison can expose the masking.
        Sanity(name="scores_not_saturated", ok=saturated <= SATURATED_SHARE,
               detail=f"saturated softmax on {saturated:.0%} of the clean inputs (every other "
               "class at probability 0 in float32: scaled logits or distillation mask the "
               f"cross-entropy gradient that {p.steps}-step PGD follows)"),
        Sanity(name="more_steps_not_higher", ok=_acc(strong) <= base + tol,
               detail=f"a stronger PGD gives higher robust accuracy ({_acc(strong):.3f} > "
               f"{base:.3f})"),
        Sanity(name="converged", ok=_acc(strong) >= base - tol,
               detail=f"a stronger PGD ({strong_p.steps} steps, {strong_p.restarts} restarts"
               f"{', logit-margin loss' if margin else ''}) gives {_acc(strong):.3f} < "
               f"{base:.3f}: the reported PGD is not converged or its cross-entropy gradients "
               "vanish (saturated softmax, scaled logits)"),
        Sanity(name="fgsm_not_stronger", ok=_acc(fgsm) >= base - tol,
               detail=f"FGSM beats PGD ({_acc(fgsm):.3f} < {base:.3f})"),
        Sanity(name="blackbox_not_stronger", ok=bb_acc >= base - tol,
               detail=f"black-box attacks beat PGD ({bb_acc:.3f} < {base:.3f}): gradient masking"),
        Sanity(name="unbounded_reaches_zero", ok=big <= unb_tol,
               detail=f"at ε={unb_eps:g} PGD leaves robust accuracy {big:.3f} > {unb_tol:g} "
               "(step scaled to that budget)"),
    )  # fmt: skip
    facts = params(
        attack="pgd", epsilon=s.eps, epsilon_source=s.eps_source, epsilons=s.grid,
        seed=cfg.seed, samples=len(s.data), data=s.data.source, queries_total=model.used,
        sanity_tolerance=tol, constraints=_constraints(model), pgd_robust_accuracy=base,
        fgsm_robust_accuracy=_acc(fgsm), strong_pgd_robust_accuracy=_acc(strong),
        blackbox_robust_accuracy=bb_acc, large_eps_robust_accuracy=big,
        unbounded_epsilon=unb_eps, combination="pointwise worst case",
    ) + p.describe(s.eps)  # fmt: skip
    m = _measurement("robust_accuracy", "worst case incl. pgd", curve, s.eps, tuple(sorted(facts)))
    text = (
        f"PGD-{p.steps} ({cfg.norm.value}, ε={s.eps:g}, restarts {p.restarts}) {base:.4f}; "
        f"worst case over PGD, stronger PGD, FGSM and black-box: robust accuracy {m.value:.4f} "
        f"(95 % CI {m.lower:.4f}-{m.upper:.4f}, n={len(s.data)})"
    )
    clean = _acc(next(mk for e, mk in curve if e == 0.0))
    return _verdict(TestName.WHITEBOX, text, m, checks, cfg, "M6.2.2",
                    "robust_accuracy_min", (), clean, len(s.data))  # fmt: skip
