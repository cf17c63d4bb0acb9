"""Threat-model re-assessment (M1.3.3): triggers documented, reviewed recently and after the
last change to the inventory.

The review date is read from the threat model itself: front matter or YAML keys
(``last_reviewed``, ``reviewed``, ``review_date``), or a line such as ``Last reviewed:
2026-11-20`` or a review-log row; the newest date wins. Triggers must be documented (a
section or line naming the re-assessment triggers). The last review must be no older than
``max_interval_months`` and not older than the inventory's last change (the CycloneDX
``metadata.timestamp`` of the ML-BOM): an inventory changed after the review is a trigger
event without a later review.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, read_text
from mlsvs.plugin import (
    BomDocument,
    Document,
    DocumentKind,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

INTERVAL_PARAMETER = "M1.3.3.max_interval_months"
_DATE = r"(\d{4}-\d{2}-\d{2})"
_REVIEW = re.compile(
    rf"(?:last[_ -]?reviewed|reviewed(?:[_ ]on)?|review[_ ]date|re-?assessed)\W{{0,6}}{_DATE}", re.I
)
_LOG_ROW = re.compile(rf"^\|?\s*{_DATE}\s*\|.*\breview", re.I | re.M)
_TRIGGERS = re.compile(r"\btrigger|re-?assess(?:ment)?\s+(?:when|after|on)\b", re.I)


def review_date(text: str) -> dt.date | None:
    """The newest review date the document states."""
    found = [m.group(1) for m in _REVIEW.finditer(text)] + _LOG_ROW.findall(text)
    dates = []
    for value in found:
        try:
            dates.append(dt.date.fromisoformat(value))
        except ValueError:
            continue
    return max(dates) if dates else None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")


def _inventory_changed(project: Project) -> tuple[dt.date | None, str]:
    newest: dt.date | None = None
    source = ""
    for bom in project.of_type(BomDocument):
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
            stamp = str(data.get("metadata", {}).get("timestamp", ""))
            day = dt.datetime.fromisoformat(stamp).date()
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            continue
        if newest is None or day > newest:
            newest, source = day, bom.path
    return newest, source


@check(
    id="MLC877",
    title="Threat model triggers documented, reviewed within max_interval_months and since the "
    "last change",
    requirements=["M1.3.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document, BomDocument),
    remediation="Add a 'Re-assessment triggers' section and a dated review line ('Last "
    "reviewed: YYYY-MM-DD') to the threat model; review it after each trigger and at least "
    "every max_interval_months.",
)
def threat_model_reviewed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Review date, triggers and the inventory's last change, per threat model document."""
    limit: object = ctx.parameter(INTERVAL_PARAMETER, 12)
    months = limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else 12
    models = [d for d in project.of_type(Document) if d.document == DocumentKind.THREAT_MODEL]
    if not models:
        yield failed("no threat model document (THREAT_MODEL.md) to re-assess")
        return
    changed, inventory = _inventory_changed(project)
    for doc in models:
        try:
            text = read_text(doc.absolute, doc.path)
        except DocumentError as exc:
            yield not_verified(
                str(exc),
                Gap(item=doc.path, reason=GapReason.UNREADABLE, detail=str(exc)),
                key=doc.path,
            )
            continue
        problems: list[str] = []
        reviewed = review_date(text)
        if not _TRIGGERS.search(text):
            problems.append("no re-assessment triggers are documented")
        if reviewed is None:
            problems.append("no review date ('Last reviewed: YYYY-MM-DD')")
        else:
            if add_months(reviewed, months) < ctx.today:
                problems.append(f"last reviewed {reviewed}, more than {months} months ago")
            if changed is not None and changed > reviewed:
                problems.append(
                    f"the inventory ({inventory}) changed on {changed}, after the "
                    f"last review ({reviewed})"
                )
        facts = (("reviewed", str(reviewed or "none")), ("max_interval_months", str(months)))
        if problems:
            yield failed(f"{doc.path}: {'; '.join(problems)}", key=doc.path, facts=facts)
        else:
            yield passed(
                f"{doc.path}: triggers documented; reviewed {reviewed}", key=doc.path, facts=facts
            )
