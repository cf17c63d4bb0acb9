"""Render scan reports as text, JSON or SARIF 2.1.0 (pure functions of the reports)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs import __version__
from mlsvs.scanner.rules import RULES
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.model.result import Severity
    from mlsvs.scanner.report import ScanFinding, ScanReport


def _shown(report: ScanReport, minimum: Severity) -> tuple[ScanFinding, ...]:
    return report.at_least(minimum)


def render_text(reports: Sequence[ScanReport], minimum: Severity) -> str:
    """Human-readable report; names from scanned files are stripped of control characters."""
    lines: list[str] = []
    total = 0
    for report in reports:
        shown = _shown(report, minimum)
        total += len(shown)
        status = "clean" if not shown else f"{len(shown)} finding(s)"
        lines.append(f"{one_line(report.path, 400)} [{report.format}]: {status}")
        for f in shown:
            where = one_line(f.location.describe(), 300)
            lines.append(
                f"  {f.severity.value.upper():8} {f.rule.value:7} {one_line(f.message, 300)}"
                + (f"  ({where})" if where else "")
            )
    flagged = sum(1 for r in reports if _shown(r, minimum))
    lines.append(f"scanned {len(reports)} file(s): {flagged} with findings, {total} finding(s)")
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[ScanReport], minimum: Severity) -> str:
    """Machine-readable report (stable keys, sorted findings)."""
    doc = {
        "tool": {"name": "mlsvs scan", "version": __version__},
        "min_severity": minimum.value,
        "files": [
            {
                "path": r.path,
                "format": r.format.value,
                "errors": list(r.errors),
                "findings": [
                    {
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
                    for f in _shown(r, minimum)
                ],
            }
            for r in reports
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def render_sarif(reports: Sequence[ScanReport], minimum: Severity) -> str:
    """SARIF 2.1.0: one run, every rule described, one result per finding."""
    rules = [
        {
            "id": rule.value,
            "name": info.title.title().replace(" ", ""),
            "shortDescription": {"text": info.title},
            "fullDescription": {"text": info.remediation},
            "help": {"text": info.remediation},
            "defaultConfiguration": {"level": info.severity.sarif_level},
            "properties": {
                "security-severity": info.severity.security_score,
                "tags": ["security", "ml-model"],
            },
        }
        for rule, info in RULES.items()
    ]
    index = {rule.value: i for i, rule in enumerate(RULES)}
    results = []
    for r in reports:
        for f in _shown(r, minimum):
            location: dict[str, object] = {
                "physicalLocation": {"artifactLocation": {"uri": r.path.replace("\\", "/")}}
            }
            if f.location.offset is not None and f.location.member is None:
                location["physicalLocation"] = {
                    "artifactLocation": {"uri": r.path.replace("\\", "/")},
                    "region": {"byteOffset": f.location.offset},
                }
            logical = f.location.member or f.location.pointer
            if logical:
                location["logicalLocations"] = [
                    {
                        "fullyQualifiedName": logical,
                        "kind": "member" if f.location.member else "object",
                    }
                ]
            results.append(
                {
                    "ruleId": f.rule.value,
                    "ruleIndex": index[f.rule.value],
                    "level": f.severity.sarif_level,
                    "message": {"text": f.message},
                    "locations": [location],
                    "properties": {"severity": f.severity.value, "format": r.format.value},
                }
            )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlsvs-scan",
                        "version": __version__,
                        "informationUri": "https://owasp.org/www-project-machine-learning-security-verification-standard/",
                        "rules": rules,
                    }
                },
                "artifacts": [{"location": {"uri": r.path.replace("\\", "/")}} for r in reports],
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
