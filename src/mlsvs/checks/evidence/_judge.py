"""Turning tool reports into outcomes: current, complete and clean is a pass; nothing else is.

A report that could not be read is a gap for every evidence check (it could be about
anything). A report the tool marked partial (parse errors, skipped packages, a failed run) is
not verified. An undated report, or one older than the age limit, is not evidence of the
present: undated is not verified, stale fails. Only then do the findings decide.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.evidence._load import EvidenceSettingsError, load_reports
from mlsvs.plugin import Gap, GapReason, errored, failed, not_verified, passed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.checks.evidence._load import Dated, Reports
    from mlsvs.checks.evidence._model import ToolFinding, ToolReport
    from mlsvs.plugin import CheckContext, Facts, Outcome, Project


def facts_of(dated: Dated) -> Facts:
    """Tool, version, scan date (and where it came from), digest and path of a report."""
    report = dated.report
    when = dated.when.isoformat(timespec="seconds") if dated.when else "undated"
    return (
        ("report", report.path),
        ("tool", report.tool),
        ("version", report.version or "not recorded"),
        ("scanned_at", when),
        ("date_source", dated.source),
        ("sha256", report.sha256),
        *((("artifact", report.artifact),) if report.artifact else ()),
    )


def label(dated: Dated) -> str:
    """``trivy 0.57.1 (2026-11-28)``, dated by the time the run stands for."""
    report = dated.report
    when = dated.when.date().isoformat() if dated.when else "undated"
    return f"{report.tool} {report.version or '(version not recorded)'} ({when})"


def reports_or_error(ctx: CheckContext, project: Project) -> Reports | Outcome:
    """The run's reports, or an ``errored`` outcome for a malformed ``[evidence]`` section."""
    try:
        return load_reports(ctx, project)
    except EvidenceSettingsError as exc:
        return errored(str(exc))


def unread(reports: Reports) -> Iterator[Outcome]:
    """One not-verified outcome naming every report that could not be read or recognised."""
    if reports.gaps:
        yield not_verified("tool reports could not be read or recognised", reports.gaps)


def currency(dated: Dated, today: dt.date, limit: int) -> Outcome | None:
    """Not verified (partial, undated, from the future) or failed (stale); None when current."""
    report, key, facts = dated.report, dated.report.path, facts_of(dated)
    if report.problems:
        gaps = [
            Gap(item=report.path, reason=GapReason.UNPARSEABLE, detail=p[:200])
            for p in report.problems
        ]
        return not_verified(
            f"{report.path}: {label(dated)} is partial: the tool did not scan everything",
            gaps,
            key=key,
            facts=facts,
        )
    if dated.when is None:
        return not_verified(
            f"{report.path}: {report.tool} reports record no scan time, so the report cannot "
            "show it is current; hand it over with 'mlsvs verify --evidence-report FILE' "
            "right after the scan, or use a format with a timestamp (SARIF, trivy JSON)",
            Gap(item=report.path, reason=GapReason.UNSUPPORTED, detail="undated report"),
            key=key,
            facts=facts,
        )
    day = dated.when.astimezone(dt.UTC).date()
    if day > today + dt.timedelta(days=1):
        return not_verified(
            f"{report.path}: dated {day}, after today ({today})",
            Gap(item=report.path, reason=GapReason.UNPARSEABLE, detail="scan time in the future"),
            key=key,
            facts=facts,
        )
    age = (today - day).days
    if age > limit:
        return failed(
            f"{report.path}: {label(dated)} is {age} days old; evidence must be at most "
            f"{limit} days old",
            key=key,
            facts=facts,
        )
    return None


def judge_findings(
    dated: Dated,
    *,
    today: dt.date,
    limit: int,
    blocking: Callable[[ToolFinding], bool],
    what: str,
    evaluated: Callable[[ToolReport], bool] | None = None,
) -> Outcome | None:
    """The outcome of one relevant report; None when it holds no evidence either way."""
    report = dated.report
    stale = currency(dated, today, limit)
    if stale is not None:
        return stale
    facts = facts_of(dated)
    hits = [f for f in report.findings if blocking(f) and not f.suppressed]
    if hits:
        listed = "; ".join(
            f"{f.rule} {f.severity} {f.package or f.path}{f':{f.line}' if f.line else ''}".strip()
            for f in hits[:6]
        )
        more = f" and {len(hits) - 6} more" if len(hits) > 6 else ""
        return failed(
            f"{report.path}: {label(dated)} reports {len(hits)} {what}: {listed}{more}",
            key=report.path,
            facts=facts,
        )
    if evaluated is not None and not evaluated(report):
        return None
    return passed(f"{report.path}: {label(dated)} reports no {what}", key=report.path, facts=facts)
