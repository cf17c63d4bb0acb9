"""Model extraction (M8.2.2): surrogate fidelity and accuracy over a query-budget schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.coverage import GapReason
from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import ints
from mlsvs.modeltest.evasion.constraints import Constraints, Norm, project
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


def _surrogate(kind: str, seed: int) -> object:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    match kind:
        case "logistic":
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        case "mlp":
            return make_pipeline(
                StandardScaler(),
                MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed),
            )
        case _:
            return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)


def _fit_predict(kind: str, seed: int, x: Array, labels: Labels, x_eval: Array) -> Labels:
    import numpy as np

    classes = np.unique(labels)
    if len(classes) == 1:  # the victim answered one class only: a constant surrogate
        return np.full(len(x_eval), classes[0], dtype=np.int64)
    clf = _surrogate(kind, seed)
    clf.fit(x.reshape(len(x), -1), labels)  # type: ignore[attr-defined]
    return np.asarray(clf.predict(x_eval.reshape(len(x_eval), -1)), dtype=np.int64)  # type: ignore[attr-defined]


_SOURCES = ("data", "uniform", "synthetic")


def _pool(model: BudgetedModel, test: Dataset, source: str, size: int, seed: int) -> Array:
    """Attacker queries: held-out data, uniform noise in the domain, or synthetic inputs made by
    augmenting a small seed set of real inputs (Gaussian jitter and mixup, then projected)."""
    import numpy as np

    rng = np.random.default_rng([seed, 620, _SOURCES.index(source)])
    spec = model.input_spec
    c = Constraints(spec=spec)
    if source == "data":
        return test.x[rng.permutation(len(test))[:size]]
    lo, hi = c.bounds()
    if source == "uniform" or len(test) == 0:
        raw = rng.uniform(lo, hi, size=(size, spec.n_features))
    else:
        seeds = test.x[rng.permutation(len(test))[: max(10, min(100, len(test) // 10))]]
        flat = seeds.reshape(len(seeds), -1).astype(np.float64)
        a, b = rng.integers(0, len(flat), size), rng.integers(0, len(flat), size)
        lam = rng.uniform(0, 1, size=(size, 1))
        mix = lam * flat[a] + (1 - lam) * flat[b]
        jitter = rng.standard_normal((size, spec.n_features)) * 0.1 * (hi - lo)
        raw = np.where(rng.random((size, 1)) < 0.5, mix, flat[a] + jitter)
    raw = raw.reshape((size, *spec.shape)).astype(spec.dtype)
    return project(raw, raw, float("inf"), Norm.LINF, c)


def extraction(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Train a surrogate on the model's answers for each budget and each attacker query pool;
    the verdict takes the worst pool (highest fidelity at the largest budget). A surrogate that
    cannot beat the majority class means the attack failed, not that the model resisted."""
    import numpy as np

    from mlsvs.modeltest.config import strs

    ex = cfg.extraction
    declared = tuple(sorted(ints(ex.get("budgets", [100, 1000, 10000]), "extraction.budgets")))
    top = cfg.standard.budget("M8.2.2.query_budget", declared[-1])
    budgets = tuple(sorted({*declared, top}))
    kind = ex.get_str("surrogate", "forest")
    if "query_sources" in ex.values:
        sources = strs(ex.get("query_sources", []), "extraction.query_sources")
    elif "query_source" in ex.values:
        sources = (ex.get_str("query_source", "data"),)
    else:
        sources = _SOURCES
    n_eval = min(ex.get_int("samples", 500), max(len(test) // 3, 1))
    rng = np.random.default_rng([cfg.seed, 6200])
    order = rng.permutation(len(test))
    eval_x, eval_y = test.x[order[:n_eval]], test.y[order[:n_eval]]
    rest = _subset(test, order[n_eval:])
    from mlsvs.modeltest.output import detect

    victim_scores = model.predict_proba(eval_x)
    victim_eval = victim_scores.argmax(axis=1)
    granularity = detect(victim_scores, model.output_kind)[0].value
    majority = float(np.bincount(victim_eval, minlength=model.n_classes).max() / max(n_eval, 1))
    curves: dict[str, list[tuple[int, float, float, int]]] = {}
    for source in sources:
        pool = _pool(model, rest, source, budgets[-1], cfg.seed)
        points: list[tuple[int, float, float, int]] = []
        for b in budgets:
            xq = pool[:b]
            answers = model.predict(xq)
            pred = _fit_predict(kind, cfg.seed, xq, answers, eval_x)
            fid = int((pred == victim_eval).sum())
            points.append((len(xq), fid / n_eval, float((pred == eval_y).mean()), fid))
        curves[source] = points
    worst = max(curves, key=lambda k: curves[k][-1][1])
    used, fidelity, acc, fid_count = curves[worst][-1]
    lo, hi = wilson(fid_count, n_eval)
    threshold, source_of_limit = cfg.standard.threshold(
        "M8.2.2.max_fidelity", ex.threshold("extraction_fidelity_max")
    )
    d = decide(fidelity, threshold, cfg.level)
    capped = {
        k: [b for b, p in zip(budgets, v, strict=True) if p[0] < b] for k, v in curves.items()
    }
    facts = params(
        budgets=budgets, query_sources=tuple(sources), worst_pool=worst, surrogate=kind,
        eval_samples=n_eval, seed=cfg.seed, data=test.source,
        queries_used=tuple(p[0] for p in curves[worst]),
        surrogate_accuracy=tuple(round(p[2], 4) for p in curves[worst]),
        victim_accuracy=float((victim_eval == eval_y).mean()), majority_class_fidelity=majority,
        api_returns=granularity, queries_total=model.used,
        pool_exhausted=",".join(f"{k}:{v}" for k, v in capped.items() if v) or None,
        threshold_source=source_of_limit, combination="worst pool",
        **{f"fidelity_{k}": v[-1][1] for k, v in curves.items()},
    )  # fmt: skip
    series = tuple(SeriesPoint(x=float(p[0]), y=p[1]) for p in curves[worst])
    m_fid = Measurement(
        name="extraction_fidelity", value=fidelity, lower=lo, upper=hi, confidence=0.95,
        threshold=d.limit, parameters=facts, series=series, x_label="queries",
        y_label=f"fidelity (agreement with the model; {worst} pool)", x_log=True,
    )  # fmt: skip
    m_acc = Measurement(
        name="surrogate_accuracy", value=acc, parameters=facts,
        series=tuple(SeriesPoint(x=float(p[0]), y=p[2]) for p in curves[worst]),
        x_label="queries", y_label="surrogate accuracy", x_log=True,
    )  # fmt: skip
    pools = ", ".join(f"{k} {v[-1][1]:.3f}" for k, v in curves.items())
    text = (
        f"surrogate ({kind}) fidelity after {used} queries by pool: {pools}; worst {worst}: "
        f"{fidelity:.3f} (95 % CI {lo:.3f}-{hi:.3f}), surrogate accuracy {acc:.3f}; "
        f"API returns {granularity}"
    )
    result = (m_fid, m_acc)
    if d.ok is False:
        return TestResult(name=TestName.EXTRACTION, ok=False, message=f"{text}: {d.text}",
                          measurements=result)  # fmt: skip
    if lo <= majority:
        return TestResult(
            name=TestName.EXTRACTION, ok=None, measurements=result,
            message=f"{text}: not verified: no surrogate beat the majority-class baseline "
            f"({majority:.3f}), so the attack failed rather than the model resisting it "
            "(try another surrogate or more queries)",
            gaps=limited("model", "surrogate never beat the majority class",
                         GapReason.UNSUPPORTED),
        )  # fmt: skip
    if d.ok is None:
        return TestResult(
            name=TestName.EXTRACTION, ok=None, measurements=result,
            message=f"{text}; not verified: no limit for this level (verify with --level, or "
            "declare extraction.extraction_fidelity_max)",
        )  # fmt: skip
    return TestResult(name=TestName.EXTRACTION, ok=True, message=f"{text}: {d.text}",
                      measurements=result)  # fmt: skip


def _subset(data: Dataset, idx: npt.NDArray[np.int64]) -> Dataset:
    from mlsvs.modeltest.data import Dataset

    return Dataset(x=data.x[idx], y=data.y[idx], features=data.features, source=data.source)
