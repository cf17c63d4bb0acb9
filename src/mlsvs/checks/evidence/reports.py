"""Other tools' findings as evidence: secrets, unsafe deserialisation, vulnerable packages and
infrastructure rules, each mapped to the requirement it speaks to.

Only reports that scanned for the topic count (a trivy image scan without secret results says
nothing about secrets). For infrastructure rules a clean report is evidence only when it shows
the mapped rules were evaluated (checkov and ``tfsec --include-passed`` list passed checks;
SARIF lists failures only).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.evidence._judge import judge_findings, reports_or_error, unread
from mlsvs.checks.evidence._load import max_age_days
from mlsvs.checks.evidence._model import Topic
from mlsvs.plugin import Document, Outcome, Project, Severity, abstained, check

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.checks.evidence._model import ToolFinding, ToolReport
    from mlsvs.plugin import CheckContext

_READS = (Document,)
_LABELS = {
    Topic.SECRET: "secret scanning",
    Topic.CODE: "static code analysis",
    Topic.VULNERABILITY: "dependency vulnerabilities",
    Topic.MISCONFIGURATION: "infrastructure configuration",
}


def _topic_check(
    ctx: CheckContext,
    project: Project,
    *,
    topic: Topic,
    what: str,
    blocking: Callable[[ToolFinding], bool],
    include: Callable[[ToolReport, bool], bool] = lambda report, conventional: True,
    evaluated: Callable[[ToolReport], bool] | None = None,
    parameter: str | None = None,
) -> Iterator[Outcome]:
    reports = reports_or_error(ctx, project)
    if isinstance(reports, Outcome):
        yield reports
        return
    yield from unread(reports)
    limit = max_age_days(ctx, parameter)
    relevant = [
        d for d in reports.reports if topic in d.report.topics and include(d.report, d.conventional)
    ]
    outcomes: list[Outcome] = []
    for dated in relevant:
        outcome = judge_findings(
            dated, today=ctx.today, limit=limit, blocking=blocking, what=what, evaluated=evaluated
        )
        if outcome is not None:
            outcomes.append(outcome)
    yield from outcomes
    if not outcomes and not reports.gaps:
        yield abstained(
            f"{len(relevant)} {_LABELS[topic]} report(s), none evaluated the rules in question"
            if relevant
            else f"no tool report covering {_LABELS[topic]}"
        )


@check(
    id="MLC900",
    title="Secret scanners (gitleaks, trivy, semgrep, checkov) report no credential",
    requirements=["M3.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=_READS,
    remediation="Revoke and rotate the reported credentials, remove them from the history, and "
    "re-run the scanner; pass the fresh report with --evidence-report.",
)
def secret_reports(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every current secret-scanning report is clean; undated, partial or stale is not a pass."""
    yield from _topic_check(
        ctx,
        project,
        topic=Topic.SECRET,
        what="secret(s)",
        blocking=lambda f: f.topic is Topic.SECRET,
    )


# Static-analysis rules about loading untrusted data (bandit IDs, semgrep rule-name fragments).
_BANDIT_DESER = frozenset({"B301", "B302", "B307", "B506", "B614", "B615"})
_SEMGREP_DESER = re.compile(
    r"pickle|deserializ|unsafe-load|yaml.*load|torch.*load|marshal|dill|joblib|shelve|"
    r"avoid-unsafe-eval|trust-remote-code|insecure-eval",
    re.I,
)


def _unsafe_loading(finding: ToolFinding) -> bool:
    return finding.topic is Topic.CODE and (
        finding.rule in _BANDIT_DESER or bool(_SEMGREP_DESER.search(finding.rule))
    )


@check(
    id="MLC901",
    title="Static analysers (bandit, semgrep) report no unsafe deserialisation",
    requirements=["M4.2.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=_READS,
    remediation="Replace pickle/yaml.load/torch.load(weights_only=False) with data-only "
    "formats or safe loaders, then re-run the analyser.",
)
def deserialisation_reports(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """bandit B301/B302/B506/B614..., semgrep pickle/yaml/torch-load rules: none unsuppressed."""
    yield from _topic_check(
        ctx,
        project,
        topic=Topic.CODE,
        what="unsafe deserialisation finding(s)",
        blocking=_unsafe_loading,
    )


def _dependency_report(report: ToolReport, conventional: bool) -> bool:
    # Committed pip-audit / osv-scanner reports are judged by MLC423; here they count only
    # when handed over explicitly. Image scans are MLC903's.
    if conventional and report.tool in {"pip-audit", "osv-scanner"}:
        return False
    return report.artifact_type != "container_image"


@check(
    id="MLC902",
    title="Dependency scanners (pip-audit, osv-scanner, trivy fs) report no vulnerable package",
    requirements=["M3.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=_READS,
    remediation="Upgrade the reported packages, re-lock, and re-run the scanner within the "
    "standard's advisory age limit.",
)
def dependency_reports(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Current, complete dependency scans with no vulnerable package; the age limit is the
    standard's ``max_advisory_age_days``."""
    yield from _topic_check(
        ctx,
        project,
        topic=Topic.VULNERABILITY,
        what="vulnerable package(s)",
        blocking=lambda f: f.topic is Topic.VULNERABILITY,
        include=_dependency_report,
        parameter="M3.2.3.max_advisory_age_days",
    )


# Infrastructure rules by requirement: checkov IDs, trivy/tfsec AVD IDs and tfsec long IDs.
PUBLIC_ACCESS_RULES = frozenset(
    {
        "CKV_AWS_20",
        "CKV_AWS_57",
        "CKV_AWS_53",
        "CKV_AWS_54",
        "CKV_AWS_55",
        "CKV_AWS_56",
        "CKV2_AWS_6",
        "CKV_AWS_122",
        "CKV_AZURE_34",
        "CKV_AZURE_59",
        "CKV_AZURE_190",
        "CKV_GCP_28",
        "CKV_GCP_114",
        "AVD-AWS-0086",
        "AVD-AWS-0087",
        "AVD-AWS-0091",
        "AVD-AWS-0092",
        "AVD-AWS-0093",
        "AVD-AWS-0094",
        "AVD-AZU-0007",
        "AVD-GCP-0001",
        "aws-s3-block-public-acls",
        "aws-s3-block-public-policy",
        "aws-s3-ignore-public-acls",
        "aws-s3-no-public-buckets",
        "aws-s3-specify-public-access-block",
        "aws-s3-no-public-access-with-acl",
        "azure-storage-no-public-access",
        "google-storage-no-public-access",
    }
)
ENCRYPTION_RULES = frozenset(
    {
        "CKV_AWS_19",
        "CKV_AWS_145",
        "CKV_AWS_3",
        "CKV_AWS_16",
        "CKV_AWS_22",
        "CKV_AWS_98",
        "CKV_AZURE_43",
        "CKV_GCP_78",
        "AVD-AWS-0088",
        "AVD-AWS-0132",
        "AVD-AWS-0026",
        "AVD-AWS-0080",
        "aws-s3-enable-bucket-encryption",
        "aws-s3-encryption-customer-key",
        "aws-ebs-enable-volume-encryption",
        "aws-rds-encrypt-instance-storage-data",
    }
)


def _rules_check(
    ctx: CheckContext, project: Project, rules: frozenset[str], what: str
) -> Iterator[Outcome]:
    yield from _topic_check(
        ctx,
        project,
        topic=Topic.MISCONFIGURATION,
        what=what,
        blocking=lambda f: f.rule in rules,
        evaluated=lambda r: any(rule in rules for rule, _ in r.passed_rules),
    )


@check(
    id="MLC904",
    title="IaC scanners (checkov, tfsec, trivy config) find no publicly accessible store",
    requirements=["M9.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=_READS,
    remediation="Block public access on the buckets and storage accounts the scanner names "
    "(S3 public access block, private containers) and re-run it.",
)
def public_access_reports(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Mapped public-access rules failed nowhere and were evaluated (passed) somewhere."""
    yield from _rules_check(ctx, project, PUBLIC_ACCESS_RULES, "public-access violation(s)")


@check(
    id="MLC905",
    title="IaC scanners (checkov, tfsec, trivy config) find no store without encryption at rest",
    requirements=["M9.2.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=_READS,
    remediation="Enable server-side encryption with a managed key on the stores the scanner "
    "names and re-run it.",
)
def encryption_reports(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Mapped encryption-at-rest rules failed nowhere and were evaluated (passed) somewhere."""
    yield from _rules_check(ctx, project, ENCRYPTION_RULES, "unencrypted store(s)")
