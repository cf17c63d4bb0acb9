"""Code-scan and secrets results for the CLI: text lines, JSON, and the findings reports every
other format (SARIF, JUnit, Markdown, GitLab SAST) is rendered from (:mod:`mlsvs.output`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.codescan.rules import RULES
from mlsvs.output.docs import page
from mlsvs.output.report import (
    FindingKind,
    FindingsReport,
    Note,
    ReportFinding,
    ReportLocation,
    ReportRule,
)

if TYPE_CHECKING:
    from mlsvs.codescan.findings import CodeFinding, CodeScanResult
    from mlsvs.codescan.secrets import SecretFileResult


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


def code_rules() -> tuple[ReportRule, ...]:
    """Every code rule, linked to its section of docs/code-rules.md."""
    return tuple(
        ReportRule(
            id=rule.value,
            title=info.title,
            severity=info.severity,
            description=f"{info.title}. Requirements: {', '.join(info.requirements)}",
            remediation=info.remediation,
            help_uri=page("code-rules.md", rule.value),
            requirements=info.requirements,
            cwe=info.cwe or None,
            tags=("python",),
        )
        for rule, info in RULES.items()
    )


def code_findings_report(results: list[CodeScanResult], *, version: str) -> FindingsReport:
    """The code scan as a findings report (one target per file; parse errors not verified)."""
    findings = [
        ReportFinding.make(
            rule=f.rule.value,
            kind=FindingKind.FAIL,
            severity=f.severity,
            message=f.message,
            location=ReportLocation(
                path=r.path,
                line=f.line,
                column=f.column,
                end_line=f.end_line or None,
                cell=f.cell,
            ),
            key=f.message,
            requirements=f.rule.info.requirements,
        )
        for r in results
        for f in r.findings
    ]
    notes = [Note(message=e, path=r.path) for r in results for e in r.errors]
    notes += [Note(message=f"not analysed: {r.skipped}", path=r.path) for r in results if r.skipped]
    return FindingsReport(
        command="code",
        tool_version=version,
        rules=code_rules(),
        findings=tuple(findings),
        targets=tuple(r.path for r in results),
        notes=tuple(notes),
        root=str(Path.cwd()),
        successful=not any(r.errors for r in results),
    )


def secrets_findings_report(results: list[SecretFileResult], *, version: str) -> FindingsReport:
    """The secrets scan as a findings report; only masked values ever reach it."""
    uri = page("code-rules.md", "Secrets (MLC310, `mlsvs secrets`)")
    kinds = sorted({s.hit.kind for r in results for s in r.hits})
    rules = tuple(
        ReportRule(
            id=kind.value,
            title=kind.value.removeprefix("secret.").replace("-", " ") + " in a file",
            severity=max(
                (s.hit.severity for r in results for s in r.hits if s.hit.kind is kind),
                key=lambda s: s.rank,
            ),
            remediation="Revoke the credential, remove it from the file and its history, and "
            "read it from the environment or a secret store instead.",
            help_uri=uri,
            cwe=798,
            tags=("secret",),
        )
        for kind in kinds
    )
    findings = [
        ReportFinding.make(
            rule=s.hit.rule,
            kind=FindingKind.FAIL,
            severity=s.hit.severity,
            message=f"{s.hit.masked}: {s.hit.excerpt}",
            location=ReportLocation(
                path=r.path, line=s.hit.line, column=s.hit.column, pointer=s.pointer
            ),
            key=s.hit.masked,
        )
        for r in results
        for s in r.hits
    ]
    return FindingsReport(
        command="secrets",
        tool_version=version,
        rules=rules,
        findings=tuple(findings),
        targets=tuple(r.path for r in results),
        notes=tuple(Note(message=e, path=r.path) for r in results for e in r.errors),
        root=str(Path.cwd()),
        successful=not any(r.errors for r in results),
    )
