"""Output minimisation (M7.1.1): does the model or API return full score vectors?"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from mlsvs.adapters.models.spec import OutputKind
from mlsvs.model.result import Measurement
from mlsvs.modeltest.result import TestName, TestResult, params

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]


@enum.unique
class Granularity(enum.StrEnum):
    """What the answers reveal, least to most."""

    LABELS = "labels"
    TOP_K = "top_k"
    ROUNDED = "rounded_scores"
    FULL = "full_scores"


def detect(scores: Array, kind: OutputKind) -> tuple[Granularity, int, int]:
    """Granularity, the largest number of non-zero scores per row, and decimals used."""
    import numpy as np

    nonzero = int((scores > 0).sum(axis=1).max()) if scores.size else 0
    one_hot = bool(np.all(np.isin(scores, (0.0, 1.0)))) and nonzero <= 1
    if kind is OutputKind.LABELS or one_hot:
        return Granularity.LABELS, 1, 0
    n_classes = scores.shape[1]
    decimals = next(
        (d for d in range(1, 5) if np.allclose(scores * 10**d, np.round(scores * 10**d))), 99
    )
    if nonzero < n_classes and n_classes > 2:
        return Granularity.TOP_K, nonzero, decimals
    if decimals <= 2:
        return Granularity.ROUNDED, nonzero, decimals
    return Granularity.FULL, nonzero, decimals


def output_minimisation(model: BudgetedModel, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Fail when full-precision score vectors come back and no justification is declared."""
    import numpy as np

    n = cfg.output.get_int("samples", 100)
    data = test.take(n, np.random.default_rng([cfg.seed, 621]))
    scores = model.predict_proba(data.x)
    gran, k, decimals = detect(scores, model.output_kind)
    distinct = len(np.unique(np.round(scores, 12)))
    m = Measurement(
        name="output_granularity",
        value=float(k),
        unit="scores per answer",
        parameters=params(
            granularity=gran.value, classes=model.n_classes, samples=len(data), seed=cfg.seed,
            decimals=decimals if decimals < 99 else "full", distinct_values=distinct,
            queries=model.used,
        ),
    )  # fmt: skip
    text = f"answers give {gran.value.replace('_', ' ')} ({k} of {model.n_classes} scores/row)"
    why = cfg.output.get_str("full_scores_justification", "")
    if gran is Granularity.FULL and not why:
        return TestResult(
            name=TestName.OUTPUT, ok=False, measurements=(m,),
            message=f"{text}: return labels, top-k or rounded scores, or declare "
            "output.full_scores_justification",
        )  # fmt: skip
    if gran is Granularity.FULL:
        text += f"; justified: {why}"
    return TestResult(name=TestName.OUTPUT, ok=True, message=text, measurements=(m,))


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        return 99
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def classify_answer(doc: object, n_classes: int) -> tuple[Granularity, int, int]:
    """Granularity of one raw JSON answer: score vectors, probabilities, or labels only.

    A list (or ``{label: score}`` table) of two or more numbers in [0, 1] is a score vector:
    full when it has every class and more than two decimals, else rounded or top-k. Lone
    numbers in [0, 1] are a top-1 confidence (rounded when at most two decimals).
    """
    vectors: list[list[float]] = []
    scalars: list[float] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            nums = [v for v in node.values() if _is_prob(v)]
            if len(nums) >= 2 and len(nums) == len(node):
                vectors.append([float(v) for v in nums])
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            if len(node) >= 2 and all(_is_prob(v) for v in node):
                vectors.append([float(v) for v in node])
                return
            for v in node:
                walk(v)
        elif _is_prob(node):
            scalars.append(float(node))  # type: ignore[arg-type]

    walk(doc)
    numbers = [v for vec in vectors for v in vec] + scalars
    decimals = max((_decimals(v) for v in numbers), default=0)
    if vectors:
        width = max(len(v) for v in vectors)
        if width < n_classes:
            return Granularity.TOP_K, width, decimals
        return (Granularity.ROUNDED if decimals <= 2 else Granularity.FULL), width, decimals
    if scalars:
        return (Granularity.ROUNDED if decimals <= 2 else Granularity.TOP_K), 1, decimals
    return Granularity.LABELS, 1, 0


def _is_prob(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= float(v) <= 1.0


def endpoint_answers(
    answers: list[object], endpoint: str, n_classes: int, cfg: ModelTestConfig
) -> TestResult:
    """MLC621 from a declared inference endpoint's raw JSON answers."""
    found = [classify_answer(a, n_classes) for a in answers]
    order = list(Granularity)
    gran, k, decimals = max(found, key=lambda f: order.index(f[0]))
    m = Measurement(
        name="output_granularity",
        value=float(k),
        unit="scores per answer",
        parameters=params(
            granularity=gran.value, classes=n_classes, endpoint=endpoint, answers=len(answers),
            decimals=decimals if decimals < 99 else "full", seed=cfg.seed,
        ),
    )  # fmt: skip
    text = f"endpoint {endpoint!r} answers give {gran.value.replace('_', ' ')}"
    why = cfg.output.get_str("full_scores_justification", "")
    if gran is Granularity.FULL and not why:
        return TestResult(
            name=TestName.OUTPUT, ok=False, measurements=(m,),
            message=f"{text}: return labels, top-k or rounded scores, or declare "
            "output.full_scores_justification",
        )  # fmt: skip
    if gran is Granularity.FULL:
        text += f"; justified: {why}"
    return TestResult(name=TestName.OUTPUT, ok=True, message=text, measurements=(m,))
