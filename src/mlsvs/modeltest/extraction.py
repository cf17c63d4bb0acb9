"""Model extraction (M8.2.2): surrogate fidelity and accuracy over a query-budget schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.modeltest.config import ints
from mlsvs.modeltest.evasion.constraints import Constraints, Norm, project
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestResult, params
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


def _pool(model: BudgetedModel, test: Dataset, source: str, size: int, seed: int) -> Array:
    import numpy as np

    rng = np.random.default_rng([seed, 620])
    if source == "data":
        return test.x[rng.permutation(len(test))[:size]]
    spec = model.input_spec
    lo, hi = Constraints(spec=spec).bounds()
    raw = rng.uniform(lo, hi, size=(size, spec.n_features)).reshape((size, *spec.shape))
    raw = raw.astype(spec.dtype)
    return project(raw, raw, float("inf"), Norm.LINF, Constraints(spec=spec))


def extraction(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Train a surrogate on the model's answers for each budget; fidelity on held-out data."""
    import numpy as np

    ex = cfg.extraction
    budgets = tuple(sorted(ints(ex.get("budgets", [100, 1000, 10000]), "extraction.budgets")))
    kind, source = ex.get_str("surrogate", "forest"), ex.get_str("query_source", "data")
    n_eval = min(ex.get_int("samples", 500), max(len(test) // 3, 1))
    rng = np.random.default_rng([cfg.seed, 6200])
    order = rng.permutation(len(test))
    eval_x, eval_y = test.x[order[:n_eval]], test.y[order[:n_eval]]
    rest = test.take(len(test), rng) if source == "uniform" else _subset(test, order[n_eval:])
    pool = _pool(model, rest, source, budgets[-1], cfg.seed)
    from mlsvs.modeltest.output import detect

    victim_scores = model.predict_proba(eval_x)
    victim_eval = victim_scores.argmax(axis=1)
    granularity = detect(victim_scores, model.output_kind)[0].value
    points: list[tuple[int, float, float, int]] = []
    for b in budgets:
        xq = pool[:b]
        answers = model.predict(xq)
        pred = _fit_predict(kind, cfg.seed, xq, answers, eval_x)
        fid = int((pred == victim_eval).sum())
        points.append((len(xq), fid / n_eval, float((pred == eval_y).mean()), fid))
    used, fidelity, acc, fid_count = points[-1]
    lo, hi = wilson(fid_count, n_eval)
    threshold = ex.threshold("extraction_fidelity_max")
    d = decide(fidelity, threshold, cfg.level)
    capped = [b for b, p in zip(budgets, points, strict=True) if p[0] < b]
    facts = params(
        budgets=budgets, queries_used=tuple(p[0] for p in points), surrogate=kind,
        query_source=source, eval_samples=n_eval, seed=cfg.seed, data=test.source,
        surrogate_accuracy=tuple(round(p[2], 4) for p in points),
        victim_accuracy=float((victim_eval == eval_y).mean()),
        api_returns=granularity, queries_total=model.used,
        pool_exhausted=capped or None, thresholds=threshold.describe() if threshold else None,
    )  # fmt: skip
    series = tuple(SeriesPoint(x=float(p[0]), y=p[1]) for p in points)
    m_fid = Measurement(
        name="extraction_fidelity", value=fidelity, lower=lo, upper=hi, confidence=0.95,
        threshold=d.limit, parameters=facts, series=series, x_label="queries",
        y_label="fidelity (agreement with the model)", x_log=True,
    )  # fmt: skip
    m_acc = Measurement(
        name="surrogate_accuracy", value=acc, parameters=facts,
        series=tuple(SeriesPoint(x=float(p[0]), y=p[2]) for p in points),
        x_label="queries", y_label="surrogate accuracy", x_log=True,
    )  # fmt: skip
    curve = ", ".join(f"{p[0]}: {p[1]:.3f}" for p in points)
    text = (
        f"surrogate ({kind}) fidelity {fidelity:.3f} (95 % CI {lo:.3f}-{hi:.3f}) and accuracy "
        f"{acc:.3f} after {used} queries; fidelity by budget {curve}; API returns {granularity}"
    )
    if d.ok is None:
        return TestResult(
            name="extraction", ok=None, measurements=(m_fid, m_acc),
            message=f"{text}; not verified: declare extraction.extraction_fidelity_max",
        )  # fmt: skip
    return TestResult(
        name="extraction", ok=d.ok, message=f"{text}: {d.text}", measurements=(m_fid, m_acc)
    )


def _subset(data: Dataset, idx: npt.NDArray[np.int64]) -> Dataset:
    from mlsvs.modeltest.data import Dataset

    return Dataset(x=data.x[idx], y=data.y[idx], features=data.features, source=data.source)
