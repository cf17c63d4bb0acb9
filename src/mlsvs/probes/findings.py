"""Endpoint probe results as findings (SARIF, JUnit, Markdown, GitLab: mlsvs.output).

An endpoint is not a file: each result is located at the configuration file that declares
the endpoint, with ``endpoint/area`` as the logical location, so code-scanning dashboards
attach it to the file a fix would change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Severity
from mlsvs.output.docs import page
from mlsvs.output.report import (
    FindingKind,
    FindingsReport,
    ReportFinding,
    ReportLocation,
    ReportRule,
)
from mlsvs.probes.areas import AREA_CHECKS, AREA_REQUIREMENTS
from mlsvs.probes.types import Area, Gravity, ProbeVerdict
from mlsvs.util.text import strip_control

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.probes.types import ProbeReport

_SEVERITY = {
    Gravity.LOW: Severity.LOW,
    Gravity.MEDIUM: Severity.MEDIUM,
    Gravity.HIGH: Severity.HIGH,
}
_KIND = {
    ProbeVerdict.FAIL: FindingKind.FAIL,
    ProbeVerdict.ERROR: FindingKind.ERROR,
    ProbeVerdict.NOT_VERIFIED: FindingKind.NOT_VERIFIED,
}


def probe_rules() -> tuple[ReportRule, ...]:
    """One rule per probed area (its check ID is the rule ID)."""
    uri = page("endpoint-probes.md")
    return tuple(
        ReportRule(
            id=f"{AREA_CHECKS[area]}/{area.value}",
            title=f"Endpoint {area.value.replace('_', ' ')}",
            severity=Severity.HIGH,
            requirements=tuple(AREA_REQUIREMENTS[area]),
            help_uri=uri,
            tags=("endpoint",),
        )
        for area in Area
    )


def probe_findings_report(
    reports: Sequence[ProbeReport], *, config_path: str, version: str, root: str
) -> FindingsReport:
    """Failures, errors, and results not verified (including passes with gaps)."""
    findings: list[ReportFinding] = []
    for rep in reports:
        for r in rep.results:
            kind = _KIND.get(r.verdict)
            if kind is None and r.gaps:
                kind = FindingKind.NOT_VERIFIED
            if kind is None:
                continue
            gaps = "; ".join(strip_control(g.describe()) for g in r.gaps[:8])
            findings.append(
                ReportFinding.make(
                    rule=f"{AREA_CHECKS[r.area]}/{r.area.value}",
                    kind=kind,
                    severity=_SEVERITY[r.gravity] if r.gravity else Severity.MEDIUM,
                    message=f"{rep.endpoint}: {strip_control(r.message)}"
                    + (f" (not covered: {gaps})" if gaps else ""),
                    location=ReportLocation(path=config_path, pointer=f"{rep.endpoint}/{r.area}"),
                    requirements=tuple(AREA_REQUIREMENTS[r.area]),
                    facts=tuple((k, strip_control(v)) for k, v in r.facts[:14]),
                )
            )
    return FindingsReport(
        command="probe",
        tool_version=version,
        rules=probe_rules(),
        findings=tuple(findings),
        targets=(config_path,),
        root=root,
    )
