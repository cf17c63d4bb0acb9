"""Membership inference test (M7.2.1): threshold attacks, LiRA with a recipe, low-FPR metrics.

* Every available non-member is used (up to ``privacy.max_nonmembers``): TPR at a low FPR is
  only as good as the number of non-members behind the threshold.
* Scores are float64, from log-probabilities (see ``scores``).
* Every figure gets a 95 % bootstrap interval (members and non-members resampled; for LiRA the
  shadow models too, so the interval includes shadow-model variance).
* A TPR-at-FPR figure is decided only when the non-members put at least
  ``M7.2.1.min_false_positives`` expected false positives behind it (10 by default: 1,000
  non-members for 1 % FPR, 10,000 for 0.1 %); otherwise it is "not verified", naming how many
  non-members are needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import strs
from mlsvs.modeltest.metrics import advantage, auc_only, roc, thin, tpr_at_fpr
from mlsvs.modeltest.privacy.scores import LiraStats, lira_stats, threshold_scores
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.privacy.scores import Trainer

    Array = npt.NDArray[np.floating]
    Metric = Callable[[Array, Array], float]

_FIGURES = (
    # name, project key (no level), standard key (at a level), low FPR it rests on
    ("mia_auc", "mia_auc_max", None, None),
    ("mia_tpr_at_1pct_fpr", "mia_tpr_at_1pct_fpr_max", None, 0.01),
    ("mia_tpr_at_01pct_fpr", "mia_tpr_at_01pct_fpr_max", None, 0.001),
    ("mia_advantage", "mia_advantage_max", "M7.2.1.max_advantage", None),
)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AttackScores:
    """Scores of one attack on members and non-members (LiRA: with its shadow statistics)."""

    attack: str
    members: Array
    nonmembers: Array
    lira: LiraStats | None = None


def _metric(name: str, low_fpr: float = 0.001) -> Metric:
    match name:
        case "mia_tpr_at_low_fpr":
            return lambda p, n: tpr_at_fpr(p, n, low_fpr)
        case "mia_auc":
            return auc_only
        case "mia_tpr_at_1pct_fpr":
            return lambda p, n: tpr_at_fpr(p, n, 0.01)
        case "mia_tpr_at_01pct_fpr":
            return lambda p, n: tpr_at_fpr(p, n, 0.001)
        case _:
            return advantage


def _bootstrap(
    run: AttackScores, metrics: tuple[str, ...], seed: int, n_boot: int, low_fpr: float
) -> dict[str, tuple[float, float]]:
    """Percentile intervals; LiRA resamples its shadow models as well as the records."""
    import numpy as np

    rng = np.random.default_rng([seed, 6101])
    n_pos, n_neg = len(run.members), len(run.nonmembers)
    values = {m: np.empty(n_boot) for m in metrics}
    fns = {m: _metric(m, low_fpr) for m in metrics}
    for b in range(n_boot):
        pos, neg = run.members, run.nonmembers
        if run.lira is not None:
            k = run.lira.stats.shape[0]
            s = run.lira.scores(np.asarray(rng.integers(0, k, size=k), dtype=np.int64))
            pos, neg = s[:n_pos], s[n_pos:]
        p = pos[rng.integers(0, n_pos, n_pos)]
        q = neg[rng.integers(0, n_neg, n_neg)]
        for m in metrics:
            values[m][b] = fns[m](p, q)
    return {
        m: (float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))) for m, v in values.items()
    }


def membership(
    model: BudgetedModel,
    members: Dataset,
    nonmembers: Dataset,
    cfg: ModelTestConfig,
    trainer: Trainer | None = None,
) -> TestResult:
    """Run every configured attack; the verdict uses the strongest one (worst case)."""
    import numpy as np

    from mlsvs.modeltest.evasion.blackbox import log_scores

    priv = cfg.privacy
    rng = np.random.default_rng([cfg.seed, 610])
    mem = members.take(min(priv.get_int("samples", 1000), len(members)), rng)
    non = nonmembers.take(min(priv.get_int("max_nonmembers", 100_000), len(nonmembers)), rng)
    attacks = strs(
        priv.get("attacks", ["loss", "logit", "confidence", "entropy"]), "privacy.attacks"
    )
    lp_mem, lp_non = log_scores(model, mem.x), log_scores(model, non.x)
    runs = [
        AttackScores(
            attack=a,
            members=threshold_scores(a, lp_mem, mem.y),
            nonmembers=threshold_scores(a, lp_non, non.y),
        )
        for a in attacks
    ]
    shadows = cfg.standard.budget("M7.2.1.reference_models", priv.get_int("shadow_models", 16))
    if trainer is not None and priv.values.get("recipe"):
        x = np.concatenate([mem.x, non.x])
        y = np.concatenate([mem.y, non.y])
        st = lira_stats(model, x, y, trainer, shadows=shadows, seed=cfg.seed)
        s = st.scores()
        n = len(mem)
        runs.append(AttackScores(attack="lira", members=s[:n], nonmembers=s[n:], lira=st))
    return _result(model, cfg, runs, len(mem), len(non), (mem.source, non.source))


def _result(
    model: BudgetedModel,
    cfg: ModelTestConfig,
    runs: list[AttackScores],
    n_mem: int,
    n_non: int,
    sources: tuple[str, str],
) -> TestResult:
    priv = cfg.privacy
    boot = priv.get_int("bootstrap", 200)
    std = cfg.standard
    min_fp = std.value("M7.2.1.min_false_positives") or 10.0
    low_fpr = std.value("M7.2.1.low_fpr")
    figures: list[tuple[str, str, str | None, float | None]] = list(_FIGURES)
    if low_fpr is not None:
        figures.append(("mia_tpr_at_low_fpr", "", "M7.2.1.max_tpr_at_low_fpr", low_fpr))
    names = tuple(f[0] for f in figures)
    lf = low_fpr or 0.001
    values = {r.attack: {n: _metric(n, lf)(r.members, r.nonmembers) for n in names} for r in runs}
    # the strongest attack: highest TPR at the lowest FPR the sample supports, then AUC
    usable = [f for f in (0.001, 0.01) if n_non >= math.ceil(min_fp / f)]
    key_fig = {0.001: "mia_tpr_at_01pct_fpr", 0.01: "mia_tpr_at_1pct_fpr"}
    order = [key_fig[f] for f in usable] + ["mia_auc"]
    worst = max(runs, key=lambda r: tuple(values[r.attack][f] for f in order))
    v = values[worst.attack]
    cis = _bootstrap(worst, names, cfg.seed, boot, lf)
    r = roc(worst.members, worst.nonmembers)
    idx = [i for i in thin(r.fpr, r.tpr) if r.fpr[i] > 0]
    series = tuple(SeriesPoint(x=r.fpr[i], y=r.tpr[i]) for i in idx)
    base = params(
        members=sources[0], nonmembers=sources[1], member_samples=n_mem,
        nonmember_samples=n_non, seed=cfg.seed, attacks=tuple(x.attack for x in runs),
        strongest=worst.attack, bootstrap=boot, low_fpr=low_fpr,
        shadow_models=worst.lira.stats.shape[0] if worst.lira is not None else None,
        interval="percentile bootstrap (members, non-members"
        + (", shadow models)" if worst.lira is not None else ")"),
        queries=model.used, output_kind=model.output_kind.value, scores="float64 log-probabilities",
        min_false_positives=min_fp, ties="grouped (one ROC step per distinct score)",
    )  # fmt: skip
    measurements: list[Measurement] = []
    failed: list[str] = []
    passed: list[str] = []
    undecided: list[str] = []
    need_refs = std.value("M7.2.1.reference_models")
    have_refs = worst.lira.stats.shape[0] if worst.lira is not None else 0
    lira_refs = next((x.lira.stats.shape[0] for x in runs if x.lira is not None), 0)
    if need_refs is not None and max(have_refs, lira_refs) < need_refs:
        undecided.append(
            f"{need_refs:g} reference models required (M7.2.1.reference_models), {lira_refs} "
            "trained: declare privacy.recipe = 'module:fit' so LiRA can train them"
        )
    for name, own_key, std_key, fpr in figures:
        if std.active:
            threshold, source = std.threshold(std_key, None) if std_key else (None, "report only")
        else:
            threshold, source = (priv.threshold(own_key), "project") if own_key else (None, "")
        need = math.ceil(min_fp / fpr) if fpr else 0
        supported = n_non >= need
        d = decide(v[name], threshold, cfg.level)
        lo, hi = cis[name]
        extra: tuple[tuple[str, str], ...] = (("threshold_source", source),) if threshold else ()
        if fpr and not supported:
            extra += (("decidable", f"no: needs >= {need} non-members, has {n_non}"),)
        measurements.append(
            Measurement(
                name=name, value=v[name], lower=lo, upper=hi, confidence=0.95,
                threshold=d.limit, parameters=tuple(sorted((*base, *extra))),
                series=series if name == "mia_auc" else (),
                x_label="false positive rate" if name == "mia_auc" else "",
                y_label="true positive rate" if name == "mia_auc" else "",
                x_log=name == "mia_auc",
            )
        )  # fmt: skip
        if d.ok is None:
            continue
        if fpr and not supported:
            undecided.append(
                f"{name} {v[name]:.4f} not decided: TPR at {fpr:.2%} FPR needs >= {need} "
                f"non-members ({min_fp:g} expected false positives), only {n_non} available"
            )
        elif d.ok:
            passed.append(f"{name} {d.text}")
        else:
            failed.append(f"{name} {d.text} (95 % CI {lo:.4f}-{hi:.4f})")
    per_attack = "; ".join(f"{a} AUC {x['mia_auc']:.3f}" for a, x in sorted(values.items()))
    head = (
        f"membership inference on {n_mem} members / {n_non} non-members ({per_attack}); "
        f"strongest {worst.attack}: AUC {v['mia_auc']:.3f} (95 % CI {cis['mia_auc'][0]:.3f}-"
        f"{cis['mia_auc'][1]:.3f}), TPR@1%FPR {v['mia_tpr_at_1pct_fpr']:.3f} "
        f"({cis['mia_tpr_at_1pct_fpr'][0]:.3f}-{cis['mia_tpr_at_1pct_fpr'][1]:.3f}), "
        f"TPR@0.1%FPR {v['mia_tpr_at_01pct_fpr']:.3f} ({cis['mia_tpr_at_01pct_fpr'][0]:.3f}-"
        f"{cis['mia_tpr_at_01pct_fpr'][1]:.3f}), advantage {v['mia_advantage']:.3f}"
    )
    result = tuple(measurements)
    if failed:
        return TestResult(name=TestName.MEMBERSHIP, ok=False, measurements=result,
                          message=f"{head}: {'; '.join(failed + undecided)}")  # fmt: skip
    if undecided:
        why = "; ".join(undecided)
        return TestResult(name=TestName.MEMBERSHIP, ok=None, measurements=result,
                          message=f"{head}: not verified: {why}",
                          gaps=limited("model_tests.data.nonmembers", why))  # fmt: skip
    if not passed:
        return TestResult(
            name=TestName.MEMBERSHIP, ok=None, measurements=result,
            message=f"{head}; not verified: no limit for this level (verify with --level, or "
            "declare privacy.mia_auc_max / mia_tpr_at_1pct_fpr_max)",
        )  # fmt: skip
    return TestResult(name=TestName.MEMBERSHIP, ok=True, measurements=result,
                      message=f"{head}: {'; '.join(passed)}")  # fmt: skip
