"""Label changes attributable (M2.3.9).

Label exports are read in Label Studio's formats: the full JSON export (tasks with
``annotations``, each with ``completed_by``, ``created_at``, ``updated_at`` and ``updated_by``)
and JSON-MIN (one record per annotation with ``annotator``, ``created_at``, ``updated_at``).
Every label needs an annotator and a time; a label changed after it was created
(``updated_at`` later than ``created_at``) needs the identity of who changed it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, read_json
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp as Label Studio writes it (``...Z``); naive means UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _who(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("email") or value.get("id")
    return "" if value is None else str(value)


def label_problems(data: object) -> tuple[int, list[str]] | None:
    """(labels checked, problems) of a Label Studio export; None when ``data`` is not one."""
    if not isinstance(data, list) or not data or not all(isinstance(t, dict) for t in data):
        return None
    problems: list[str] = []
    count = 0
    if all("annotations" in t for t in data):
        for task in data:
            for annotation in task["annotations"] or []:
                if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                    continue
                count += 1
                where = f"task {task.get('id')} annotation {annotation.get('id')}"
                problems += _check(
                    where,
                    _who(annotation.get("completed_by")),
                    annotation.get("created_at"),
                    annotation.get("updated_at"),
                    _who(annotation.get("updated_by")) or None,
                )
        return count, problems
    if all("annotation_id" in t for t in data):
        for record in data:
            count += 1
            where = f"task {record.get('id')} annotation {record.get('annotation_id')}"
            annotator = _who(record.get("annotator"))
            problems += _check(
                where,
                annotator,
                record.get("created_at"),
                record.get("updated_at"),
                annotator or None,
            )
        return count, problems
    return None


def _check(
    where: str, who: str, created: object, updated: object, changer: str | None
) -> list[str]:
    out: list[str] = []
    made = parse_time(created)
    if not who:
        out.append(f"{where} has no annotator")
    if made is None:
        out.append(f"{where} has no creation time")
    changed = parse_time(updated)
    if made and changed and changed - made > dt.timedelta(seconds=1) and not changer:
        out.append(f"{where} was changed at {changed.isoformat()} by no recorded identity")
    return out


@check(
    id="MLC876",
    title="Every label and label change in the label exports names an annotator and a time",
    requirements=["M2.3.9"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document,),
    remediation="Export labels with annotator identity and timestamps (Label Studio JSON or "
    "JSON-MIN export) and keep the export versioned with the dataset.",
)
def labels_attributable(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Label Studio exports in the project: annotator and time on every label and change."""
    gaps: list[Gap] = []
    exports = 0
    for doc in project.of_type(Document):
        if not doc.path.endswith(".json"):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        result = label_problems(data)
        if result is None:
            continue
        exports += 1
        count, problems = result
        facts = (("labels", str(count)),)
        if problems:
            more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
            yield failed(f"{doc.path}: {'; '.join(problems[:5])}{more}", key=doc.path, facts=facts)
        else:
            yield passed(
                f"{doc.path}: {count} label(s), each with annotator and time",
                key=doc.path,
                facts=facts,
            )
    if gaps:
        yield not_verified("JSON files that may be label exports could not be read", gaps)
    elif not exports:
        yield abstained(
            "no label export (Label Studio JSON or JSON-MIN) in the project: who labelled the "
            "training data, and when, is not recorded here"
        )


AGREEMENT_PARAMETER = "M2.3.10.min_agreement"


def _value(annotation: dict[str, object]) -> str | None:
    """One label per annotation: the chosen classes or the result values, canonical JSON."""
    import json

    result = annotation.get("result")
    if not isinstance(result, list) or not result:
        return None
    values = [r.get("value") for r in result if isinstance(r, dict)]
    return json.dumps(values, sort_keys=True)


def agreement(data: object) -> tuple[float | None, int, list[str]]:
    """(Krippendorff's nominal alpha, tasks labelled more than once, disagreeing tasks not
    settled by a ground-truth review) of a Label Studio JSON export."""
    import numpy as np
    from krippendorff import alpha

    if not isinstance(data, list):
        return None, 0, []
    coders: dict[str, int] = {}
    values: dict[str, int] = {}
    units: list[dict[int, int]] = []
    unsettled: list[str] = []
    for task in data:
        if not isinstance(task, dict):
            continue
        labels: dict[int, int] = {}
        reviewed = False
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                continue
            value = _value(annotation)
            who = _who(annotation.get("completed_by"))
            if value is None or not who:
                continue
            reviewed = reviewed or bool(annotation.get("ground_truth"))
            labels[coders.setdefault(who, len(coders))] = values.setdefault(value, len(values))
        if len(labels) >= 2:
            units.append(labels)
            if len(set(labels.values())) > 1 and not reviewed:
                unsettled.append(str(task.get("id")))
    if not units or len(values) < 2:
        return (1.0 if units else None), len(units), unsettled
    matrix = np.full((len(coders), len(units)), np.nan)
    for column, unit in enumerate(units):
        for coder, code in unit.items():
            matrix[coder, column] = code
    return (
        float(alpha(reliability_data=matrix, level_of_measurement="nominal")),
        len(units),
        unsettled,
    )


@check(
    id="MLC878",
    title="Label exports reach the standard's inter-annotator agreement or were re-reviewed",
    requirements=["M2.3.10"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=("krippendorff", "numpy"),
    reads=(Document,),
    remediation="Have a share of each external or crowd batch labelled twice; when "
    "Krippendorff's alpha is below min_agreement, re-review the disagreeing tasks (mark the "
    "settled annotation as ground truth) before admitting the batch.",
)
def labels_agree(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Krippendorff's alpha (nominal) over the tasks each Label Studio export labels twice."""
    limit: object = ctx.parameter(AGREEMENT_PARAMETER, 0.667)
    floor = (
        float(limit) if isinstance(limit, int | float) and not isinstance(limit, bool) else 0.667
    )
    gaps: list[Gap] = []
    exports = 0
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
            and all(isinstance(t, dict) and "annotations" in t for t in data)
        ):
            continue
        exports += 1
        value, overlap, unsettled = agreement(data)
        facts = (
            ("tasks_labelled_twice", str(overlap)),
            ("min_agreement", f"{floor:g}"),
            ("alpha", "n/a" if value is None else f"{value:.3f}"),
        )
        if value is None:
            yield failed(
                f"{doc.path}: no task is labelled by two annotators, so agreement "
                "was never measured",
                key=doc.path,
                facts=facts,
            )
        elif value >= floor:
            yield passed(
                f"{doc.path}: Krippendorff's alpha {value:.3f} >= {floor:g} over {overlap} task(s)",
                key=doc.path,
                facts=facts,
            )
        elif not unsettled:
            yield passed(
                f"{doc.path}: alpha {value:.3f} < {floor:g}, every disagreement "
                "re-reviewed (ground truth)",
                key=doc.path,
                facts=facts,
            )
        else:
            yield failed(
                f"{doc.path}: Krippendorff's alpha {value:.3f} < {floor:g} and "
                f"{len(unsettled)} disagreeing task(s) were not re-reviewed "
                f"({', '.join(unsettled[:5])})",
                key=doc.path,
                facts=facts,
            )
    if gaps:
        yield not_verified("JSON files that may be label exports could not be read", gaps)
    elif not exports:
        yield abstained("no label export with annotations (Label Studio JSON) in the project")
