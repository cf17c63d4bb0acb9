"""Render scan reports as text or JSON, and as a findings report for every other format
(SARIF, JUnit, Markdown, GitLab SAST: see :mod:`mlsvs.output`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mlsvs import __version__
from mlsvs.scanner.report import ScanStatus
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.model.severity import Severity
    from mlsvs.output.report import FindingsReport, ReportRule
    from mlsvs.scanner.report import ScanFinding, ScanReport


def _shown(report: ScanReport, minimum: Severity) -> tuple[ScanFinding, ...]:
    """Hazards at or above ``minimum`` (coverage gaps are reported apart, whatever ``minimum``)."""
    return tuple(f for f in report.hazards if f.severity.rank >= minimum.rank)


def file_status(report: ScanReport, minimum: Severity) -> ScanStatus:
    """``findings`` (shown hazards), else ``not verified`` (gaps or errors), else ``clean``."""
    if _shown(report, minimum):
        return ScanStatus.FINDINGS
    if not report.verified:
        return ScanStatus.NOT_VERIFIED
    return ScanStatus.CLEAN


class Summary(NamedTuple):
    """Counts over a set of reports (the CLI's exit code is a function of these)."""

    files: int
    with_findings: int
    findings: int
    not_verified: int
    errors: int


def summarize(reports: Sequence[ScanReport], minimum: Severity) -> Summary:
    """Files with shown findings, findings, files not verified, files with read errors."""
    statuses = [file_status(r, minimum) for r in reports]
    return Summary(
        files=len(reports),
        with_findings=statuses.count(ScanStatus.FINDINGS),
        findings=sum(len(_shown(r, minimum)) for r in reports),
        not_verified=sum(1 for r in reports if not r.verified),
        errors=sum(1 for r in reports if r.errors),
    )


def _label(report: ScanReport) -> str:
    if report.content:
        return f"{report.format}: {one_line(report.content, 80)}"
    return str(report.format)


def render_text(reports: Sequence[ScanReport], minimum: Severity) -> str:
    """Human-readable report; names from scanned files are stripped of control characters.

    Hazards are listed per file; the reasons a file was not verified follow on lines marked
    ``not verified``, so a reader never mistakes a coverage gap for a pass or for a hazard.
    """
    lines: list[str] = []
    for report in reports:
        shown = _shown(report, minimum)
        status = file_status(report, minimum)
        text = f"{len(shown)} finding(s)" if shown else str(status)
        if shown and not report.verified:
            text += ", not verified in part"
        lines.append(f"{one_line(report.path, 400)} [{_label(report)}]: {text}")
        lines.extend(_finding_line(f.severity.value.upper(), f) for f in shown)
        lines.extend(_finding_line("NOT VERIFIED", f) for f in report.gaps)
    summary = summarize(reports, minimum)
    lines.append(
        f"scanned {summary.files} file(s): {summary.with_findings} with findings, "
        f"{summary.findings} finding(s), {summary.not_verified} not verified"
    )
    return "\n".join(lines) + "\n"


def _finding_line(tag: str, f: ScanFinding) -> str:
    where = one_line(f.location.describe(), 300)
    return f"  {tag:8} {f.rule.value:7} {one_line(f.message, 300)}" + (
        f"  ({where})" if where else ""
    )


def _finding_json(f: ScanFinding) -> dict[str, object]:
    return {
        "rule": f.rule.value,
        "title": f.rule.info.title,
        "severity": f.severity.value,
        "message": f.message,
        "member": f.location.member,
        "offset": f.location.offset,
        "pointer": f.location.pointer,
        "remediation": f.remediation,
        "facts": dict(f.facts),
    }


def render_json(reports: Sequence[ScanReport], minimum: Severity) -> str:
    """Machine-readable report (stable keys, sorted findings).

    Each file has ``status`` (``clean`` / ``findings`` / ``not verified``), ``findings``
    (hazards at or above ``min_severity``) and ``not_verified`` (the gaps, always listed);
    ``summary`` carries the counts the exit code is computed from.
    """
    summary = summarize(reports, minimum)
    doc = {
        "tool": {"name": "mlsvs scan", "version": __version__},
        "min_severity": minimum.value,
        "summary": {
            "files": summary.files,
            "with_findings": summary.with_findings,
            "findings": summary.findings,
            "not_verified": summary.not_verified,
            "errors": summary.errors,
        },
        "files": [
            {
                "path": r.path,
                "format": r.format.value,
                "content": r.content or None,
                "status": file_status(r, minimum).value,
                "errors": list(r.errors),
                "findings": [_finding_json(f) for f in _shown(r, minimum)],
                "not_verified": [_finding_json(f) for f in r.gaps],
            }
            for r in reports
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def report_path(path: str, root: Path) -> str:
    """A scanned path as reports show it: relative to ``root`` when inside it (POSIX)."""
    p = Path(path)
    try:
        return (
            p.absolute().relative_to(root.absolute()).as_posix()
            if p.is_absolute()
            else (p.as_posix())
        )
    except ValueError:
        return p.as_posix()


def rule_descriptors() -> tuple[ReportRule, ...]:
    """Every scanner rule, linked to the rule table of docs/scanner.md."""
    # The shared findings-report model is imported only for the formats built on it (SARIF,
    # JUnit, ...): text and JSON, what a directory scan usually prints, never need it.
    from mlsvs.output.docs import page
    from mlsvs.output.report import ReportRule
    from mlsvs.scanner.rules import RULES

    uri = page("scanner.md", "Rules")
    return tuple(
        ReportRule(
            id=rule.value,
            title=info.title,
            severity=info.severity,
            description=info.title,
            remediation=info.remediation,
            help_uri=uri,
            tags=("ml-model",),
        )
        for rule, info in RULES.items()
    )


def findings_report(
    reports: Sequence[ScanReport], minimum: Severity, *, root: Path | None = None
) -> FindingsReport:
    """The scan as a findings report: shown hazards fail, gaps are not verified.

    Locations keep the archive member and byte offset (a SARIF region for offsets in the
    file itself), so dashboards attach each result to the scanned file.
    """
    from mlsvs.output.report import FindingKind, FindingsReport, ReportFinding, ReportLocation

    base = root if root is not None else Path.cwd()
    findings: list[ReportFinding] = []
    targets: list[str] = []
    for r in reports:
        path = report_path(r.path, base)
        targets.append(path)
        findings.extend(
            ReportFinding.make(
                rule=f.rule.value,
                kind=FindingKind.NOT_VERIFIED if f.rule.not_verified else FindingKind.FAIL,
                severity=f.severity,
                message=f.message,
                location=ReportLocation(
                    path=path,
                    offset=f.location.offset,
                    member=f.location.member,
                    pointer=f.location.pointer,
                ),
                facts=(("format", r.format.value), *f.facts),
            )
            for f in (*_shown(r, minimum), *r.gaps)
        )
    summary = summarize(reports, minimum)
    return FindingsReport(
        command="scan",
        tool_version=__version__,
        rules=rule_descriptors(),
        findings=tuple(findings),
        targets=tuple(targets),
        root=str(base.absolute()),
        successful=not summary.errors,
        properties=(("minSeverity", minimum.value),),
    )
