"""Runtime test results as findings (SARIF, JUnit, Markdown, GitLab: mlsvs.output).

A model test is about the model declared in the configuration: each result is located at the
configuration file, with ``model_tests.<test>`` as the logical location. A test that could
not decide is an ERROR, one whose measurement cannot decide (masking, too few samples) is
NOT VERIFIED: neither is ever reported as a pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Severity
from mlsvs.modeltest.result import TestName
from mlsvs.output.docs import page
from mlsvs.output.report import (
    FindingKind,
    FindingsReport,
    ReportFinding,
    ReportLocation,
    ReportRule,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.modeltest.result import TestResult


def test_rules() -> tuple[ReportRule, ...]:
    """One rule per runtime test."""
    uri = page("model-testing.md", "Checks")
    return tuple(
        ReportRule(
            id=name.value,
            title=name.value.replace("_", " ").capitalize(),
            severity=Severity.HIGH,
            help_uri=uri,
            tags=("model", "runtime"),
        )
        for name in TestName
    )


def test_findings_report(
    results: Sequence[TestResult], *, suite: str, config_path: str, version: str, root: str
) -> FindingsReport:
    """Failed, errored and not-verified tests as findings; passing tests are clean."""
    findings = []
    for r in results:
        if r.ok is True:
            continue
        kind = FindingKind.FAIL if r.ok is False else FindingKind.ERROR
        if r.ok is None and r.gaps:
            kind = FindingKind.NOT_VERIFIED
        measured = "; ".join(
            f"{m.name}={m.value:.4g}" + (f" (limit {m.threshold:g})" if m.threshold else "")
            for m in r.measurements[:6]
        )
        findings.append(
            ReportFinding.make(
                rule=r.name.value,
                kind=kind,
                severity=Severity.HIGH,
                message=r.message + (f" [{measured}]" if measured else ""),
                location=ReportLocation(path=config_path, pointer=f"model_tests.{r.name.value}"),
                facts=r.facts,
            )
        )
    return FindingsReport(
        command=f"test {suite}",
        tool_version=version,
        rules=test_rules(),
        findings=tuple(findings),
        targets=(config_path,),
        root=root,
    )
