"""GitLab security reports from a findings report: SAST (schema 15.2.1).

GitLab's vulnerability report and merge-request widget read ``gl-sast-report.json``
(``artifacts: reports: sast:``). Each finding is one vulnerability: its ``id`` is a UUID
derived from the mlsvs fingerprint (stable across runs), the primary identifier is the rule
(linked to its docs), then the MLSVS requirements, CWE and advisory IDs. Suppressed findings
are left out (GitLab has no accepted state in the report); NOT_VERIFIED and ERROR results
are reported with severity ``Unknown`` so a coverage gap stays visible on the dashboard.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from mlsvs.model.result import Severity
from mlsvs.output.docs import requirement_uri
from mlsvs.output.report import FindingKind
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from mlsvs.output.report import FindingsReport, ReportFinding

SAST_VERSION = "15.2.1"
SAST_SCHEMA = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SAST_VERSION}/dist/sast-report-format.json"
)
_NAMESPACE = uuid.UUID("6f1e2a0c-3b7d-4c55-9a8e-2d4f5b6c7d8e")
_SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
_VENDOR = {"name": "OWASP MLSVS"}


def _time(stamp: str) -> str:
    """``yyyy-mm-ddThh:mm:ss`` (the schema's pattern) from an ISO 8601 timestamp."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        moment = dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _identifiers(report: FindingsReport, f: ReportFinding) -> list[dict[str, Any]]:
    rule = report.rule(f.rule)
    primary: dict[str, Any] = {
        "type": "mlsvs_rule",
        "name": one_line(f"{f.rule}: {rule.title}" if rule else f.rule, 250),
        "value": f.rule,
    }
    if rule is not None and rule.help_uri.startswith(("http://", "https://")):
        primary["url"] = rule.help_uri
    out = [primary]
    out.extend(
        {"type": "mlsvs", "name": f"MLSVS {req}", "value": req, "url": requirement_uri(req)}
        for req in f.requirements
    )
    if rule is not None and rule.cwe:
        out.append(
            {
                "type": "cwe",
                "name": f"CWE-{rule.cwe}",
                "value": str(rule.cwe),
                "url": f"https://cwe.mitre.org/data/definitions/{rule.cwe}.html",
            }
        )
    if f.package is not None:
        for advisory in f.package.advisories:
            kind = advisory.split("-", 1)[0].lower() or "advisory"
            out.append(
                {
                    "type": kind,
                    "name": advisory,
                    "value": advisory,
                    "url": f"https://osv.dev/vulnerability/{advisory}",
                }
            )
    return out


def _vulnerability(report: FindingsReport, f: ReportFinding) -> dict[str, Any]:
    rule = report.rule(f.rule)
    location: dict[str, Any] = {"file": f.location.path}
    if f.location.line is not None and f.location.line >= 1:
        location["start_line"] = f.location.line
        if f.location.end_line is not None:
            location["end_line"] = f.location.end_line
    where = f.location.describe()
    if where:
        location["method"] = one_line(where, 500)
    severity = _SEVERITY[f.severity] if f.kind is FindingKind.FAIL else "Unknown"
    title = rule.title if rule is not None else f.rule
    prefix = {FindingKind.ERROR: "Could not decide: ", FindingKind.NOT_VERIFIED: "Not verified: "}
    vuln: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, f"{report.command}:{f.id}")),
        "name": one_line(prefix.get(f.kind, "") + title, 255),
        "description": one_line(prefix.get(f.kind, "") + f.message, 100_000),
        "severity": severity,
        "identifiers": _identifiers(report, f),
        "location": location,
    }
    if rule is not None and rule.remediation:
        vuln["solution"] = one_line(rule.remediation, 6900)
    if rule is not None and rule.help_uri.startswith(("http://", "https://")):
        vuln["links"] = [{"name": "mlsvs documentation", "url": rule.help_uri}]
    return vuln


def sast_report(report: FindingsReport) -> dict[str, Any]:
    """The GitLab SAST report (plain data)."""
    start = _time(report.started_at) if report.started_at else _time("")
    end = _time(report.finished_at) if report.finished_at else start
    analyzer = {
        "id": f"mlsvs-{report.command}",
        "name": f"mlsvs {report.command}",
        "version": report.tool_version,
        "vendor": _VENDOR,
        "url": "https://owasp.org/www-project-machine-learning-security-verification-standard/",
    }
    messages = [
        {"level": "warn", "value": one_line((f"{n.path}: " if n.path else "") + n.message, 2000)}
        for n in report.notes
    ]
    scan: dict[str, Any] = {
        "analyzer": analyzer,
        "scanner": dict(analyzer),
        "type": "sast",
        "start_time": start,
        "end_time": end,
        "status": "success" if report.successful else "failure",
    }
    if messages:
        scan["messages"] = messages
    return {
        "schema": SAST_SCHEMA,
        "version": SAST_VERSION,
        "scan": scan,
        "vulnerabilities": [
            _vulnerability(report, f) for f in report.findings if not f.suppressed_by
        ],
    }


def sast_text(report: FindingsReport) -> str:
    """The GitLab SAST report as JSON text."""
    return json.dumps(sast_report(report), indent=2, ensure_ascii=False) + "\n"
