"""Machine-generated labels gated by confidence and consistency (MLC1004, M2.3.7), from Label
Studio's JSON export.

In the export, a machine label is a task's ``predictions`` entry (``model_version``, ``score``,
``result``) and a human label is a non-cancelled entry of ``annotations``. A task labelled only
by a prediction is an admitted machine label: its ``score`` must be at least
``M2.3.7.min_label_confidence`` (a missing score is not a confidence). Tasks with both a
prediction and a human annotation are the audit sample: the share whose human label equals
the best prediction's label (the same values, compared as canonical JSON) must be at least
``M2.3.7.min_human_agreement``. An export with machine labels and no audit sample is not
verified: the agreement was never measured.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, items, read_json
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

CONFIDENCE = "M2.3.7.min_label_confidence"
AGREEMENT = "M2.3.7.min_human_agreement"


def _label(entry: dict[str, object]) -> str | None:
    result = entry.get("result")
    if not isinstance(result, list) or not result:
        return None
    return json.dumps([r.get("value") for r in result if isinstance(r, dict)], sort_keys=True)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def audit(data: list[dict[str, object]], floor: float) -> tuple[list[str], int, int, int]:
    """(admitted machine labels below ``floor``, machine-only tasks, audited tasks, audited
    tasks where the human agrees)."""
    low: list[str] = []
    machine = audited = agreeing = 0
    for task in data:
        predictions = [p for p in items(task.get("predictions")) if isinstance(p, dict)]
        humans = [
            a
            for a in items(task.get("annotations"))
            if isinstance(a, dict) and not a.get("was_cancelled") and _label(a) is not None
        ]
        if not predictions:
            continue
        best = max(predictions, key=lambda p: _number(p.get("score")) or -1.0)
        if humans:
            audited += 1
            agreeing += _label(humans[-1]) == _label(best)
            continue
        machine += 1
        score = _number(best.get("score"))
        if score is None or score < floor:
            shown = "no score" if score is None else f"score {score:g}"
            low.append(f"task {task.get('id')} ({best.get('model_version', '?')}, {shown})")
    return low, machine, audited, agreeing


def _threshold(ctx: CheckContext, key: str) -> float | None:
    value: object = ctx.parameter(key, -1.0)
    number = _number(value)
    return number if number is not None and number >= 0 else None


@check(
    id="MLC1004",
    title="Machine labels in the label exports meet the confidence floor and agree with the "
    "human audit sample",
    requirements=["M2.3.7"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document,),
    remediation="Admit model pre-labels only at or above min_label_confidence; have humans "
    "label a random audit sample of the machine-labelled tasks and keep it in the export; "
    "retrain or drop the labeller when agreement falls below min_human_agreement.",
)
def machine_labels_gated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Machine labels in Label Studio exports meet the confidence floor and the audit."""
    floor, needed = _threshold(ctx, CONFIDENCE), _threshold(ctx, AGREEMENT)
    if floor is None or needed is None:
        yield not_verified(
            f"{CONFIDENCE} and {AGREEMENT} have no value at this level",
            Gap(item="parameters", reason=GapReason.NOT_PRESENT, detail="no threshold"),
            key="parameters",
        )
        return
    gaps: list[Gap] = []
    exports = with_machine = 0
    for doc in project.of_type(Document):
        if not doc.path.endswith(".json"):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if not (
            isinstance(data, list)
            and data
            and all(isinstance(t, dict) and "annotations" in t and "data" in t for t in data)
        ):
            continue
        exports += 1
        low, machine, audited, agreeing = audit(data, floor)
        if not machine and not audited:
            continue
        with_machine += 1
        share = agreeing / audited if audited else None
        facts = (
            ("machine_labels", str(machine)),
            ("audited", str(audited)),
            ("agreement", "n/a" if share is None else f"{share:.3f}"),
        )
        problems = []
        if low:
            more = f" and {len(low) - 5} more" if len(low) > 5 else ""
            problems.append(
                f"{len(low)} machine label(s) below {floor:g}: {', '.join(low[:5])}{more}"
            )
        if share is not None and share < needed:
            problems.append(f"human agreement {agreeing}/{audited} = {share:.3f} < {needed:g}")
        if problems:
            yield failed(f"{doc.path}: " + "; ".join(problems), key=doc.path, facts=facts)
        elif share is None:
            yield not_verified(
                f"{doc.path}: {machine} machine label(s) and no human-labelled audit sample",
                Gap(item=doc.path, reason=GapReason.NOT_PRESENT, detail="no audit sample"),
                key=doc.path,
                facts=facts,
            )
        else:
            yield passed(
                f"{doc.path}: {machine} machine label(s) at or above {floor:g}; audit agreement "
                f"{agreeing}/{audited} = {share:.3f} >= {needed:g}",
                key=doc.path,
                facts=facts,
            )
    if gaps:
        yield not_verified(
            "JSON files that may be label exports could not be read", gaps, key="unread"
        )
    elif not exports:
        yield abstained(
            "no Label Studio export in the project: how machine labels were admitted is not shown",
            key="no-export",
        )
    elif not with_machine:
        yield not_applicable(
            f"{exports} label export(s), every label made by a person: no machine label is admitted"
        )
