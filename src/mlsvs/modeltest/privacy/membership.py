"""Membership inference test (M7.2.1): threshold attacks, LiRA with a recipe, ROC metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import strs
from mlsvs.modeltest.metrics import bootstrap_auc, bootstrap_tpr_at, roc, thin
from mlsvs.modeltest.privacy.scores import lira, threshold_scores
from mlsvs.modeltest.result import TestResult, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.metrics import Roc
    from mlsvs.modeltest.privacy.scores import Trainer

    Array = npt.NDArray[np.floating]

# Fewer non-members than this make TPR at that FPR rest on < 10 false positives.
_MIN_NONMEMBERS = {0.01: 1000, 0.001: 10000}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class AttackScores:
    """Scores of one attack on members and non-members."""

    attack: str
    members: Array
    nonmembers: Array


def membership(
    model: BudgetedModel,
    members: Dataset,
    nonmembers: Dataset,
    cfg: ModelTestConfig,
    trainer: Trainer | None = None,
) -> TestResult:
    """Run every configured attack; the verdict uses the strongest one (worst case)."""
    import numpy as np

    priv = cfg.privacy
    n = min(priv.get_int("samples", 1000), len(members), len(nonmembers))
    rng = np.random.default_rng([cfg.seed, 610])
    mem, non = members.take(n, rng), nonmembers.take(n, rng)
    attacks = strs(priv.get("attacks", ["loss", "confidence", "entropy"]), "privacy.attacks")
    p_mem, p_non = model.predict_proba(mem.x), model.predict_proba(non.x)
    runs = [
        AttackScores(
            attack=a,
            members=threshold_scores(a, p_mem, mem.y),
            nonmembers=threshold_scores(a, p_non, non.y),
        )
        for a in attacks
    ]
    shadows = priv.get_int("shadow_models", 16)
    if trainer is not None and priv.values.get("recipe"):
        x = np.concatenate([mem.x, non.x])
        y = np.concatenate([mem.y, non.y])
        s = lira(model, x, y, trainer, shadows=shadows, seed=cfg.seed)
        runs.append(AttackScores(attack="lira", members=s[:n], nonmembers=s[n:]))
    rocs = {r.attack: roc(r.members, r.nonmembers) for r in runs}
    worst = max(runs, key=lambda r: (rocs[r.attack].auc, rocs[r.attack].tpr_at(0.01)))
    return _result(model, cfg, runs, rocs, worst, n, (mem.source, non.source))


def _result(
    model: BudgetedModel,
    cfg: ModelTestConfig,
    runs: list[AttackScores],
    rocs: dict[str, Roc],
    worst: AttackScores,
    n: int,
    sources: tuple[str, str],
) -> TestResult:
    priv = cfg.privacy
    boot = priv.get_int("bootstrap", 200)
    warnings = [
        f"only {n} non-members: TPR at {fpr:.1%} FPR rests on fewer than 10 false positives"
        f" (use >= {need})"
        for fpr, need in _MIN_NONMEMBERS.items()
        if n < need
    ]
    base = params(
        members=sources[0], nonmembers=sources[1], samples_per_group=n, seed=cfg.seed,
        attacks=tuple(r.attack for r in runs), strongest=worst.attack, bootstrap=boot,
        shadow_models=priv.get_int("shadow_models", 16) if "lira" in rocs else None,
        queries=model.used, output_kind=model.output_kind.value,
        warnings=" | ".join(warnings) or None, ties="grouped (one ROC step per distinct score)",
    )  # fmt: skip
    r = rocs[worst.attack]
    auc_ci = bootstrap_auc(worst.members, worst.nonmembers, seed=cfg.seed, n_boot=boot)
    tpr_ci = bootstrap_tpr_at(worst.members, worst.nonmembers, 0.01, seed=cfg.seed, n_boot=boot)
    idx = [i for i in thin(r.fpr, r.tpr) if r.fpr[i] > 0]
    series = tuple(SeriesPoint(x=r.fpr[i], y=r.tpr[i]) for i in idx)
    checks = (
        ("mia_auc", r.auc, auc_ci, "mia_auc_max", series),
        ("mia_tpr_at_1pct_fpr", r.tpr_at(0.01), tpr_ci, "mia_tpr_at_1pct_fpr_max", ()),
        ("mia_tpr_at_01pct_fpr", r.tpr_at(0.001), None, "mia_tpr_at_01pct_fpr_max", ()),
        ("mia_advantage", r.advantage, None, "mia_advantage_max", ()),
    )
    measurements: list[Measurement] = []
    verdicts: list[bool | None] = []
    texts: list[str] = []
    for name, value, ci, key, pts in checks:
        d = decide(value, priv.threshold(key), cfg.level)
        if d.ok is not None:
            verdicts.append(d.ok)
            texts.append(f"{name} {d.text}")
        measurements.append(
            Measurement(
                name=name, value=value, lower=ci[0] if ci else None, upper=ci[1] if ci else None,
                confidence=0.95 if ci else None, threshold=d.limit, parameters=base,
                series=pts, x_label="false positive rate" if pts else "",
                y_label="true positive rate" if pts else "", x_log=bool(pts),
            )
        )  # fmt: skip
    per_attack = "; ".join(f"{a} AUC {x.auc:.3f}" for a, x in sorted(rocs.items()))
    head = (
        f"membership inference ({per_attack}); strongest {worst.attack}: AUC {r.auc:.3f} "
        f"(95 % CI {auc_ci[0]:.3f}-{auc_ci[1]:.3f}), TPR@1%FPR {r.tpr_at(0.01):.3f}, "
        f"TPR@0.1%FPR {r.tpr_at(0.001):.3f}, advantage {r.advantage:.3f}"
    )
    if warnings:
        head += f" [warning: {warnings[-1]}]"
    if not verdicts:
        return TestResult(
            name="membership_inference", ok=None, measurements=tuple(measurements),
            message=f"{head}; not verified: declare privacy.mia_auc_max or "
            "privacy.mia_tpr_at_1pct_fpr_max",
        )  # fmt: skip
    return TestResult(
        name="membership_inference", ok=all(verdicts), measurements=tuple(measurements),
        message=f"{head}: {'; '.join(texts)}",
    )  # fmt: skip
