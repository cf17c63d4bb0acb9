"""Scan reports to and from JSON (the cache and the results dataset hold this form)."""

from __future__ import annotations

import json
from typing import Any

from mlsvs.model.artifact import ModelFormat
from mlsvs.model.result import Location, Severity
from mlsvs.scanner.report import ScanFinding, ScanReport
from mlsvs.scanner.rules import ScanRule


def report_to_json(report: ScanReport) -> str:
    """Everything but the path (a cached result may serve another copy of the same content)."""
    doc = {
        "format": report.format.value,
        "errors": list(report.errors),
        "bytes_read": report.bytes_read,
        "content": report.content,
        "findings": [_finding(f) for f in report.findings],
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=True)


def _finding(f: ScanFinding) -> dict[str, Any]:
    loc = f.location
    return {
        "rule": f.rule.value,
        "severity": f.severity.value,
        "message": f.message,
        "member": loc.member,
        "offset": loc.offset,
        "pointer": loc.pointer,
        "line": loc.line,
        "column": loc.column,
        "facts": [list(pair) for pair in f.facts],
    }


def report_from_json(text: str, path: str) -> ScanReport:
    """The report ``report_to_json`` wrote, named ``path``."""
    doc = json.loads(text)
    return ScanReport(
        path=path,
        format=ModelFormat(doc["format"]),
        findings=tuple(
            ScanFinding(
                rule=ScanRule(f["rule"]),
                severity=Severity(f["severity"]),
                message=f["message"],
                location=Location(
                    line=f["line"],
                    column=f["column"],
                    offset=f["offset"],
                    member=f["member"],
                    pointer=f["pointer"],
                ),
                facts=tuple((str(a), str(b)) for a, b in f["facts"]),
            )
            for f in doc["findings"]
        ),
        errors=tuple(doc["errors"]),
        bytes_read=int(doc["bytes_read"]),
        content=doc["content"],
    )
