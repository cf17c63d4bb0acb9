"""Misinformation controls for high-stakes generated content, judged on the domain-expert
evaluation of the system's answers (MLC1087, M11.2.4)::

    [agents.grounding]
    evaluation = "eval/expert-review-2026-11.jsonl"

One JSON Lines record per evaluated answer: ``question_id``, ``reviewer`` (the domain expert),
``factual_error`` (boolean) and ``citations`` (a list of ``{"id": ..., "supports": bool}``, the
expert's verdict on whether each cited source supports the statement it is attached to). The
factual-error rate is over answers, the unsupported-citation rate over citations; both carry
95 % Wilson intervals, and a verdict needs at least ``1 / limit`` answers (and citations).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import (
    SampleError,
    items,
    mapping,
    not_configured,
    read_records,
    section,
    text,
)
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    Measurement,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


@check(
    id="MLC1087",
    title="Expert-judged factual-error and unsupported-citation rates are within the limits",
    requirements=["M11.2.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Ground answers in retrieved sources with citation checks; have domain experts "
    "judge a sample of answers and their citations and record each verdict in the "
    "[agents.grounding] evaluation file.",
)
def grounded_outputs(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The expert evaluation's factual-error rate is at most ``max_factual_error_rate`` and its
    unsupported-citation rate at most ``max_unsupported_citation_rate``, every answer judged by
    a named reviewer, on enough answers and citations to show both rates."""
    from mlsvs.modeltest.metrics import wilson

    conf = section(ctx, "agents", "grounding")
    if not conf:
        yield not_configured("agents.grounding", "an evaluation of factual errors and citations")
        return
    rel = conf.get("evaluation")
    if not isinstance(rel, str):
        yield errored("[agents.grounding] needs evaluation (a path to the expert verdicts)")
        return
    try:
        records = read_records(project, rel)
    except SampleError as exc:
        yield not_verified(f"{rel}: {exc}", exc.gap, key=rel)
        return
    max_error = float(ctx.parameter("M11.2.4.max_factual_error_rate", 0.05))
    max_unsupported = float(ctx.parameter("M11.2.4.max_unsupported_citation_rate", 0.05))
    unjudged = [
        n
        for n, r in enumerate(records, 1)
        if not isinstance(r.get("factual_error"), bool)
        or not text(r, "reviewer", "expert")
        or not isinstance(r.get("citations", []), list)
        or any(not isinstance(mapping(c).get("supports"), bool) for c in items(r.get("citations")))
    ]
    if unjudged:
        yield not_verified(
            f"{rel}: record(s) {', '.join(map(str, unjudged[:5]))} lack a reviewer, a boolean "
            "factual_error or a supports verdict on each citation",
            Gap(item=rel, reason=GapReason.UNPARSEABLE, detail="incomplete expert verdicts"),
            key=rel,
        )
        return
    answers = len(records)
    errors = sum(1 for r in records if r["factual_error"] is True)
    citations = [mapping(c) for r in records for c in items(r.get("citations"))]
    unsupported = sum(1 for c in citations if c.get("supports") is False)
    need = max(math.ceil(1 / max_error), math.ceil(1 / max_unsupported))
    if answers < need or len(citations) < need:
        yield not_verified(
            f"{rel}: {answers} answer(s) and {len(citations)} citation(s) judged; at least "
            f"{need} of each are needed to show rates of {max_error:g}/{max_unsupported:g}",
            Gap(item=rel, reason=GapReason.EMPTY, detail="evaluation too small"),
            key=rel,
        )
        return
    error_rate, unsupported_rate = errors / answers, unsupported / len(citations)
    (e_lo, e_hi), (u_lo, u_hi) = wilson(errors, answers), wilson(unsupported, len(citations))
    measurements = (
        Measurement(
            name="factual_error_rate",
            value=error_rate,
            lower=e_lo,
            upper=e_hi,
            confidence=0.95,
            threshold=max_error,
            parameters=(("answers", str(answers)),),
        ),
        Measurement(
            name="unsupported_citation_rate",
            value=unsupported_rate,
            lower=u_lo,
            upper=u_hi,
            confidence=0.95,
            threshold=max_unsupported,
            parameters=(("citations", str(len(citations))),),
        ),
    )
    reviewers = sorted({text(r, "reviewer", "expert") for r in records})
    summary = (
        f"factual-error rate {error_rate:.3f} ({errors}/{answers}, 95 % CI {e_lo:.3f}-"
        f"{e_hi:.3f}), unsupported-citation rate {unsupported_rate:.3f} "
        f"({unsupported}/{len(citations)}, 95 % CI {u_lo:.3f}-{u_hi:.3f}); "
        f"{len(reviewers)} reviewer(s)"
    )
    problems = []
    if error_rate > max_error:
        problems.append(f"factual-error rate above {max_error:g}")
    if unsupported_rate > max_unsupported:
        problems.append(f"unsupported-citation rate above {max_unsupported:g}")
    if problems:
        yield failed(
            f"{rel}: {summary}: " + "; ".join(problems), key=rel, measurements=measurements
        )
    else:
        yield passed(f"{rel}: {summary}", key=rel, measurements=measurements)
