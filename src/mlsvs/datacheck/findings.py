"""Dataset-check results as findings (SARIF, JUnit, Markdown, GitLab: mlsvs.output)."""

from __future__ import annotations

from mlsvs.model.result import Severity
from mlsvs.output.docs import page
from mlsvs.output.report import FindingKind, ReportFinding, ReportLocation, ReportRule

_INTEGRITY = page("dataset-checks.md", "Integrity: manifests, DVC, checksums")
_SPLITS = page("dataset-checks.md", "Split hygiene")
_PII = page("dataset-checks.md", "Personal data and secrets")
_QUALITY = page("dataset-checks.md", "Poisoning screening and canary")

RULES = (
    ReportRule(
        id="DATA001",
        title="Dataset content differs from its manifest",
        severity=Severity.HIGH,
        remediation="Find out why the data changed; re-issue the manifest only for a reviewed "
        "change.",
        requirements=("M2.2.1",),
        help_uri=_INTEGRITY,
        tags=("data",),
    ),
    ReportRule(
        id="DATA002",
        title="Records shared between dataset splits",
        severity=Severity.MEDIUM,
        remediation="Deduplicate across splits before training; split by entity or time.",
        requirements=("M2.4.1",),
        help_uri=_SPLITS,
        tags=("data",),
    ),
    ReportRule(
        id="DATA003",
        title="Personal data or credentials in a dataset",
        severity=Severity.HIGH,
        remediation="Remove, pseudonymise or justify the columns; rotate leaked credentials.",
        requirements=("M2.5.1",),
        help_uri=_PII,
        tags=("data", "privacy"),
    ),
    ReportRule(
        id="DATA004",
        title="Training data quality outside the limits",
        severity=Severity.MEDIUM,
        remediation="Review flagged labels, duplicates and outliers; document accepted rates.",
        requirements=("M2.3.2",),
        help_uri=_QUALITY,
        tags=("data",),
    ),
    ReportRule(
        id="DATA005",
        title="Dataset could not be checked",
        severity=Severity.MEDIUM,
        remediation="Fix the unreadable file or manifest and run the check again.",
        help_uri=page("dataset-checks.md"),
        tags=("data",),
    ),
)
_REQUIREMENTS = {r.id: r.requirements for r in RULES}


def data_finding(
    rule: str, path: str, message: str, *, kind: FindingKind = FindingKind.FAIL, key: str = ""
) -> ReportFinding:
    """One dataset finding at file level (``path`` relative to the working directory)."""
    info = next(r for r in RULES if r.id == rule)
    return ReportFinding.make(
        rule=rule,
        kind=kind,
        severity=info.severity,
        message=message,
        location=ReportLocation(path=path),
        key=key or message,
        requirements=_REQUIREMENTS[rule],
    )
