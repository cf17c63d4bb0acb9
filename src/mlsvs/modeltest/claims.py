"""Model-card claims against measurements (M6.1.3 declared accuracy, M5.2.1 acceptance).

Claims come from the Hugging Face ``model-index`` in the card's YAML front matter
(``results[].metrics[]`` with ``type`` and ``value``; values above 1 are read as percent).
Each supported metric is measured on the organisation's held-out data with a 95 % interval.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.coverage import GapReason
from mlsvs.model.result import Measurement
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Labels = npt.NDArray[np.integer]

MAX_CARD_BYTES = 2 * 1024 * 1024
CARD_NAMES = ("README.md", "MODEL_CARD.md", "model_card.md", "modelcard.md")


@enum.unique
class Metric(enum.StrEnum):
    """Claimed metrics the tests can measure from labels."""

    ACCURACY = "accuracy"
    ERROR = "error_rate"
    BALANCED_ACCURACY = "balanced_accuracy"
    F1 = "f1"
    PRECISION = "precision"
    RECALL = "recall"


_ALIASES = {"acc": Metric.ACCURACY, "error": Metric.ERROR, "err": Metric.ERROR,
            "f1_score": Metric.F1, "macro_f1": Metric.F1, "f1-score": Metric.F1}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """One claimed metric from the card."""

    metric: Metric | None
    """None: a metric type the tests cannot measure."""
    raw_type: str
    value: float
    dataset: str


class CardError(Exception):
    """The card is missing or has no usable claims (message names why)."""


def _front_matter(text: str) -> dict[str, object]:
    import yaml

    if not text.startswith("---"):
        raise CardError("the card has no YAML front matter (model-index)")
    end = text.find("\n---", 3)
    if end < 0:
        raise CardError("the card's front matter is not closed")
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError as exc:
        raise CardError(f"the card's front matter is not YAML: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise CardError("the card's front matter is not a mapping")
    return data


def find_card(root: Path, declared: str) -> Path:
    """The declared card (inside the project) or the first conventional card at the root."""
    base = root.resolve()
    if declared:
        path = (base / declared).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise CardError(f"claims.card {declared} is not a file inside the project")
        return path
    for name in CARD_NAMES:
        if (base / name).is_file():
            return base / name
    raise CardError("no model card found (declare model_tests.claims.card)")


def read_claims(path: Path) -> tuple[Claim, ...]:
    """Every ``model-index`` metric of the card."""
    if path.stat().st_size > MAX_CARD_BYTES:
        raise CardError(f"{path.name} is larger than {MAX_CARD_BYTES} bytes")
    meta = _front_matter(path.read_text(encoding="utf-8", errors="replace"))
    index = meta.get("model-index")
    if not isinstance(index, list):
        raise CardError(f"{path.name} declares no model-index with results")
    claims: list[Claim] = []
    for entry in index:
        results = entry.get("results", []) if isinstance(entry, dict) else []
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            ds = result.get("dataset", {})
            dataset = str(ds.get("name", ds.get("type", ""))) if isinstance(ds, dict) else ""
            for m in result.get("metrics", []) or []:
                if not isinstance(m, dict):
                    continue
                value = m.get("value")
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                raw = str(m.get("type", "")).strip().lower()
                metric = _ALIASES.get(raw) or next((x for x in Metric if x.value == raw), None)
                v = float(value) / 100 if value > 1 else float(value)
                claims.append(Claim(metric=metric, raw_type=raw, value=v, dataset=dataset))
    if not claims:
        raise CardError(f"{path.name}: model-index has no numeric metrics")
    return tuple(claims)


def measure(metric: Metric, y: Labels, pred: Labels, k: int) -> float:
    """The metric on labels (F1/precision/recall: positive class 1 if binary, else macro)."""
    import numpy as np

    if metric is Metric.ACCURACY:
        return float((pred == y).mean())
    if metric is Metric.ERROR:
        return float((pred != y).mean())
    classes = [1] if k == 2 else list(range(k))
    scores = []
    for c in classes:
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        if metric is Metric.PRECISION:
            scores.append(prec)
        elif metric is Metric.RECALL:
            scores.append(rec)
        elif metric is Metric.F1:
            scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        else:  # balanced accuracy: mean recall over all classes
            scores = [
                float(((pred == c2) & (y == c2)).sum()) / max(1, int((y == c2).sum()))
                for c2 in range(k) if (y == c2).any()
            ]  # fmt: skip
            break
    return float(np.mean(scores)) if scores else 0.0


def _interval(metric: Metric, y: Labels, pred: Labels, k: int, seed: int) -> tuple[float, float]:
    import numpy as np

    if metric in (Metric.ACCURACY, Metric.ERROR):
        wrong = int((pred != y).sum()) if metric is Metric.ERROR else int((pred == y).sum())
        return wilson(wrong, len(y))
    rng = np.random.default_rng([seed, 613])
    values = []
    for _ in range(200):
        i = rng.integers(0, len(y), len(y))
        values.append(measure(metric, y[i], pred[i], k))
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


def _lower_is_better(metric: Metric) -> bool:
    return metric is Metric.ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class Compared:
    """One claim with its measurement."""

    claim: Claim
    metric: Metric
    measured: float
    lower: float
    upper: float

    @property
    def shortfall(self) -> float:
        """How far the measurement falls short of the claim (negative: better than claimed)."""
        if _lower_is_better(self.metric):
            return self.measured - self.claim.value
        return self.claim.value - self.measured

    @property
    def within_uncertainty(self) -> bool:
        """The claim is not better than the measured interval allows."""
        if _lower_is_better(self.metric):
            return self.claim.value >= self.lower - 1e-12
        return self.claim.value <= self.upper + 1e-12


def _compare(
    model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, root: Path
) -> tuple[tuple[Compared, ...], tuple[Claim, ...], str, int]:
    import numpy as np

    card = find_card(root, cfg.claims.get_str("card", ""))
    claims = read_claims(card)
    data = test.take(cfg.claims.get_int("samples", 5000), np.random.default_rng([cfg.seed, 613]))
    pred = model.predict(data.x)
    out: list[Compared] = []
    for c in claims:
        if c.metric is None:
            continue
        value = measure(c.metric, data.y, pred, model.n_classes)
        lo, hi = _interval(c.metric, data.y, pred, model.n_classes, cfg.seed)
        out.append(Compared(claim=c, metric=c.metric, measured=value, lower=lo, upper=hi))
    rel = card.relative_to(root.resolve()).as_posix()
    return tuple(out), tuple(c for c in claims if c.metric is None), rel, len(data)


def _measurements(items: tuple[Compared, ...], card: str, n: int, cfg: ModelTestConfig,
                  limit: float | None = None) -> tuple[Measurement, ...]:  # fmt: skip
    return tuple(
        Measurement(
            name=f"claimed_{c.claim.metric}", value=c.measured, lower=c.lower, upper=c.upper,
            confidence=0.95, threshold=limit,
            parameters=params(claimed=c.claim.value, card=card, dataset=c.claim.dataset or None,
                              samples=n, seed=cfg.seed, shortfall=c.shortfall),
        )
        for c in items if c.claim.metric is not None
    )  # fmt: skip


def declared_matches(
    model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, root: Path
) -> TestResult:
    """M6.1.3: every claimed metric lies within (or below) the measured 95 % interval."""
    name = TestName.DECLARED
    try:
        items, unknown, card, n = _compare(model, test, cfg, root)
    except CardError as exc:
        return TestResult(name=name, ok=None, message=f"no claims to compare: {exc}",
                          gaps=limited("model card", str(exc), GapReason.NOT_PRESENT))  # fmt: skip
    ms = _measurements(items, card, n, cfg)
    gaps = tuple(
        g for c in unknown
        for g in limited(f"{card}: {c.raw_type}", "metric type the tests cannot measure",
                         GapReason.UNSUPPORTED)
    )  # fmt: skip
    over = [c for c in items if not c.within_uncertainty]
    described = "; ".join(
        f"{c.claim.metric} claimed {c.claim.value:.4f}, measured {c.measured:.4f} "
        f"(95 % CI {c.lower:.4f}-{c.upper:.4f})"
        for c in items
    )
    if over:
        return TestResult(
            name=name, ok=False, measurements=ms, gaps=gaps,
            message=f"{card} claims better than measured: {described}",
        )  # fmt: skip
    if not items or gaps:
        return TestResult(
            name=name, ok=None, measurements=ms,
            gaps=gaps or limited(card, "no measurable claim", GapReason.UNSUPPORTED),
            message=f"{card}: {described or 'no measurable claims'}; not every claim measured",
        )  # fmt: skip
    return TestResult(
        name=name, ok=True, measurements=ms,
        message=f"{card}: every claim is within the measured uncertainty: {described} "
        "(the limitations text is the reviewer's part)",
    )  # fmt: skip


def file_digest(root: Path, rel: str) -> str:
    """SHA-256 of a project file, streamed."""
    h = hashlib.sha256()
    with (root / rel).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def acceptance(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig, root: Path) -> TestResult:
    """M5.2.1: on the exact artifact digest, no claim is missed by more than the shortfall."""
    name = TestName.ACCEPTANCE
    rel = cfg.model.get_str("trusted_model", "")
    if not rel:
        return TestResult(
            name=name, ok=None,
            message="the model is built by a factory: the acceptance run cannot be bound to "
            "an artifact digest (declare model.trusted_model)",
            gaps=limited("model digest", "factory-built model", GapReason.UNSUPPORTED),
        )  # fmt: skip
    digest = file_digest(root, rel)
    expected = cfg.claims.get_str("expected_digest", "").lower().removeprefix("sha256:")
    facts = (("artifact", rel), ("sha256", digest))
    if expected and expected != digest:
        return TestResult(
            name=name, ok=False, facts=facts,
            message=f"{rel} has sha256 {digest[:16]}..., not the accepted {expected[:16]}...",
        )  # fmt: skip
    try:
        items, unknown, card, n = _compare(model, test, cfg, root)
    except CardError as exc:
        return TestResult(name=name, ok=None, facts=facts,
                          message=f"no publisher claims to accept against: {exc}",
                          gaps=limited("model card", str(exc), GapReason.NOT_PRESENT))  # fmt: skip
    threshold, source = cfg.standard.threshold(
        "M5.2.1.max_claim_shortfall", cfg.claims.threshold("claim_shortfall_max")
    )
    worst = max(items, key=lambda c: c.shortfall, default=None)
    chosen = threshold.at(cfg.level) if threshold else None
    ms = _measurements(items, card, n, cfg, chosen[1] if chosen else None)
    described = "; ".join(
        f"{c.claim.metric} claimed {c.claim.value:.4f}, measured {c.measured:.4f} "
        f"(shortfall {c.shortfall:+.4f})"
        for c in items
    )
    if worst is None:
        return TestResult(
            name=name, ok=None, facts=facts, measurements=ms,
            message=f"{card}: no measurable claims",
            gaps=limited(card, "no measurable claim", GapReason.UNSUPPORTED),
        )  # fmt: skip
    d = decide(worst.shortfall, threshold, cfg.level)
    text = f"{rel} (sha256 {digest[:12]}) against {card}: {described}"
    if d.ok is False:
        return TestResult(name=name, ok=False, facts=facts, measurements=ms,
                          message=f"{text}: worst shortfall {d.text}")  # fmt: skip
    if d.ok is None:
        return TestResult(name=name, ok=None, facts=facts, measurements=ms,
                          message=f"{text}: {d.text} ({source})",
                          gaps=limited("claim shortfall limit", d.text))  # fmt: skip
    if unknown:
        return TestResult(
            name=name, ok=None, facts=facts, measurements=ms, message=f"{text}; unmeasured claims",
            gaps=tuple(g for c in unknown for g in limited(
                f"{card}: {c.raw_type}", "metric type the tests cannot measure",
                GapReason.UNSUPPORTED)),
        )  # fmt: skip
    return TestResult(name=name, ok=True, facts=facts, measurements=ms,
                      message=f"{text}: worst shortfall {d.text}")  # fmt: skip
