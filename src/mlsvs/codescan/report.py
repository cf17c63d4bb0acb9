"""Plain renderings of code-scan results for the CLI: text lines, JSON and SARIF 2.1.0."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from mlsvs.codescan.rules import RULES, Rule

if TYPE_CHECKING:
    from mlsvs.codescan.findings import CodeFinding, CodeScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def text_line(path: str, finding: CodeFinding) -> str:
    """``path:12:5: MLCODE001 [critical] message`` (``path:cell 3:12:5`` for notebooks)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return (
        f"{path}:{cell}{finding.line}:{finding.column}: {finding.rule} "
        f"[{finding.severity}] {finding.message}"
    )


def finding_json(path: str, finding: CodeFinding) -> dict[str, object]:
    """One finding as a JSON object."""
    info = finding.rule.info
    return {
        "path": path,
        "rule": finding.rule.value,
        "title": info.title,
        "severity": finding.severity.value,
        "message": finding.message,
        "line": finding.line,
        "column": finding.column,
        "cell": finding.cell,
        "requirements": list(info.requirements),
        "remediation": info.remediation,
    }


def results_json(results: list[CodeScanResult]) -> dict[str, object]:
    """The whole run as one JSON document."""
    return {
        "files": len(results),
        "findings": [finding_json(r.path, f) for r in results for f in r.findings],
        "errors": [e for r in results for e in r.errors],
        "not_analysed": sorted({r.path for r in results if r.errors}),
        "skipped": [{"path": r.path, "reason": r.skipped} for r in results if r.skipped],
        "skipped_cells": [
            {"path": r.path, "cells": list(r.skipped_cells)} for r in results if r.skipped_cells
        ],
        "suppressed": sum(r.suppressed for r in results),
    }


def _rule_descriptor(rule: Rule) -> dict[str, object]:
    info = RULES[rule]
    tags = ["security", *(f"external/cwe/cwe-{info.cwe}" for _ in [0] if info.cwe)]
    return {
        "id": rule.value,
        "name": rule.name.lower(),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": f"{info.title}. Requirements: {', '.join(info.requirements)}"},
        "help": {"text": info.remediation, "markdown": f"{info.remediation}\n\nSee `{rule.docs}`."},
        "defaultConfiguration": {"level": info.severity.sarif_level},
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": info.severity.security_score,
            "requirements": list(info.requirements),
        },
    }


def _fingerprint(path: str, finding: CodeFinding) -> str:
    raw = f"{finding.rule}:{path}:{finding.cell or 0}:{finding.message}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def results_sarif(results: list[CodeScanResult], *, version: str) -> dict[str, object]:
    """SARIF 2.1.0 with rule metadata, security-severity and our own fingerprints."""
    rules = list(Rule)
    index = {rule: i for i, rule in enumerate(rules)}
    sarif_results: list[dict[str, object]] = []
    for result in results:
        for f in result.findings:
            message = f.message if f.cell is None else f"{f.message} (cell {f.cell})"
            sarif_results.append(
                {
                    "ruleId": f.rule.value,
                    "ruleIndex": index[f.rule],
                    "level": f.severity.sarif_level,
                    "message": {"text": message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": result.path},
                                "region": {"startLine": f.line, "startColumn": f.column},
                            }
                        }
                    ],
                    "partialFingerprints": {"mlsvsFinding/v1": _fingerprint(result.path, f)},
                }
            )
    notifications: list[dict[str, object]] = [
        {"level": "error", "message": {"text": error}} for r in results for error in r.errors
    ]
    notifications += [
        {"level": "note", "message": {"text": f"{r.path}: not analysed: {r.skipped}"}}
        for r in results
        if r.skipped
    ]
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlsvs-code",
                        "version": version,
                        "informationUri": "https://owasp.org/www-project-machine-learning-security-verification-standard/",
                        "rules": [_rule_descriptor(r) for r in rules],
                    }
                },
                "automationDetails": {"id": "mlsvs/code/"},
                "invocations": [
                    {
                        "executionSuccessful": not any(r.errors for r in results),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": sarif_results,
            }
        ],
    }
