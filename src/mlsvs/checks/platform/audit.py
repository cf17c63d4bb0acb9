"""An append-only audit trail of ML changes in infrastructure code (MLC830, M10.1.2).

The audit store is append-only when the trail's storage cannot be rewritten by the actors it
records: CloudTrail with log file validation delivering to an S3 bucket under Object Lock in
COMPLIANCE mode (GOVERNANCE mode can be bypassed by holders of
``s3:BypassGovernanceRetention``), or a locked Cloud Logging bucket with a retention period.
The requirement's second clause, a complete entry for the last promotion and dataset change,
needs an audit-log sample: with a correct store the check stays not verified until one is
supplied, so it can fail a project but never pass the requirement on configuration alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    names,
    nothing_found,
    references,
    truthy,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import IAC, block, items, load, mapping
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory, TfBlock
    from mlsvs.plugin import CheckContext, Outcome


def _lock_mode(inventory: Inventory, bucket: str) -> str:
    """The default Object Lock retention mode of an S3 bucket resource ('' when none)."""
    for res in inventory.resources("aws_s3_bucket"):
        if res.name != bucket:
            continue
        legacy = block(res.body, "object_lock_configuration")
        for conf in legacy:
            for rule in block(conf, "rule"):
                for retention in block(rule, "default_retention"):
                    return str(retention.get("mode", ""))
        enabled = truthy(res.body.get("object_lock_enabled")) or any(
            str(c.get("object_lock_enabled", "")).lower() == "enabled" for c in legacy
        )
        if not enabled:
            return ""
    for lock in inventory.resources("aws_s3_bucket_object_lock_configuration"):
        if bucket in references(lock.body.get("bucket"), "aws_s3_bucket"):
            for rule in block(lock.body, "rule"):
                for retention in block(rule, "default_retention"):
                    return str(retention.get("mode", ""))
    return ""


def _trail(inventory: Inventory, trail: TfBlock) -> tuple[list[str], list[str]]:
    problems, evidence = [], []
    if truthy(trail.body.get("enable_log_file_validation")):
        evidence.append("log file validation")
    else:
        problems.append("enable_log_file_validation is not true (log files can be altered unseen)")
    buckets = references(trail.body.get("s3_bucket_name"), "aws_s3_bucket")
    if not buckets:
        problems.append("its bucket is not declared in the project, so its lock is unknown")
    for bucket in sorted(buckets):
        mode = _lock_mode(inventory, bucket)
        if mode.upper() == "COMPLIANCE":
            evidence.append(f"aws_s3_bucket.{bucket} Object Lock COMPLIANCE")
        elif mode:
            problems.append(f"aws_s3_bucket.{bucket} Object Lock {mode} can be bypassed")
        else:
            problems.append(f"aws_s3_bucket.{bucket} has no Object Lock: records can be deleted")
    return problems, evidence


@check(
    id="MLC830",
    title="The audit trail of ML changes is append-only (object-locked, validated)",
    requirements=["M10.1.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Deliver CloudTrail (enable_log_file_validation = true) to a bucket with Object "
    "Lock in COMPLIANCE mode, or lock the Cloud Logging bucket (locked = true, retention_days); "
    "keep a sample of the last promotion and dataset change entries as evidence.",
)
def audit_trail_immutable(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every audit trail declared in IaC is append-only and tamper-evident."""
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, "audit trail immutability")
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", "an append-only audit store")
        return
    good = 0
    trails = inventory.resources("aws_cloudtrail")
    for trail in trails:
        problems, evidence = _trail(inventory, trail)
        where = f"{trail.address} ({trail.path})"
        if problems:
            yield failed(f"{where}: " + "; ".join(problems), key=trail.address)
        else:
            good += 1
            yield passed(f"{where}: " + "; ".join(evidence), key=trail.address)
    for bucket in inventory.resources("google_logging_project_bucket_config"):
        where = f"{bucket.address} ({bucket.path})"
        days = bucket.body.get("retention_days")
        if truthy(bucket.body.get("locked")) and isinstance(days, int) and days > 0:
            good += 1
            yield passed(f"{where}: locked, {days}-day retention", key=bucket.address)
        else:
            yield failed(f"{where}: not locked with a retention period", key=bucket.address)
    for trail_cfn in inventory.cfn("AWS::CloudTrail::Trail"):
        where = f"{trail_cfn.path}: {trail_cfn.logical_id}"
        if not truthy(trail_cfn.properties.get("EnableLogFileValidation")):
            yield failed(f"{where}: EnableLogFileValidation is not true", key=where)
            continue
        ref = mapping(trail_cfn.properties.get("S3BucketName")).get("Ref")
        bucket_cfn = [b for b in inventory.cfn("AWS::S3::Bucket") if b.logical_id == ref]
        mode = ""
        for b in bucket_cfn:
            rule = mapping(mapping(b.properties.get("ObjectLockConfiguration")).get("Rule"))
            mode = str(mapping(rule.get("DefaultRetention")).get("Mode", ""))
        if mode.upper() == "COMPLIANCE":
            good += 1
            yield passed(f"{where}: validated, bucket {ref} Object Lock COMPLIANCE", key=where)
        else:
            yield failed(f"{where}: bucket {ref or '?'} has no COMPLIANCE Object Lock", key=where)
    if not good and not trails and not inventory.gaps:
        yield not_verified(
            f"no audit trail (CloudTrail, locked log bucket) in {names(inventory.files)}",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no audit store in IaC"),
            key="no-trail",
        )
    elif good:
        yield not_verified(
            "the audit store is append-only; a complete entry for the last model promotion and "
            "dataset change needs an audit-log sample (not read by this check)",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no audit-log sample"),
            key="log-sample",
        )


# ---------------------------------------------------------------- registry writes (M4.5.4)

_REGISTRY_TYPES = (
    "aws_ecr_repository",
    "aws_sagemaker_model_package_group",
    "google_artifact_registry_repository",
    "google_vertex_ai_endpoint",
)


def _management_trail(inventory: Inventory) -> str:
    """A CloudTrail trail that records write management events (ECR pushes, model-package
    creation and approval), or ''."""
    for trail in inventory.resources("aws_cloudtrail"):
        selectors = block(trail.body, "event_selector")
        advanced = block(trail.body, "advanced_event_selector")
        if not selectors and not advanced:
            return trail.address  # default: all management events, read and write
        for selector in selectors:
            if selector.get("include_management_events", True) is not False and str(
                selector.get("read_write_type", "All")
            ) in {"All", "WriteOnly"}:
                return trail.address
        for selector in advanced:
            fields = {str(f.get("field")): f for f in block(selector, "field_selector")}
            category = [str(v) for v in items(fields.get("eventCategory", {}).get("equals"))]
            read_only = [str(v) for v in items(fields.get("readOnly", {}).get("equals"))]
            if "Management" in category and read_only != ["true"]:
                return trail.address
    return ""


def _gcp_registry_audit(inventory: Inventory) -> str:
    for audit in inventory.resources("google_project_iam_audit_config"):
        service = str(audit.body.get("service", ""))
        types = {str(c.get("log_type")) for c in block(audit.body, "audit_log_config")}
        if service in {"artifactregistry.googleapis.com", "allServices"} and "DATA_WRITE" in types:
            return audit.address
    return ""


@check(
    id="MLC831",
    title="Registry writes and promotions are recorded by the audit trail",
    requirements=["M4.5.4"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Record write management events with CloudTrail (ECR PutImage, SageMaker "
    "CreateModelPackage / UpdateModelPackage approval) or Artifact Registry DATA_WRITE audit "
    "logs, and keep a sample of the last writes and promotions with their approver.",
)
def registry_writes_logged(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every model registry or artifact repository in IaC is covered by an audit trail of its
    writes; the sampled entries with principal and approver need a log sample, so a covered
    registry stays not verified until one is supplied."""
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, "registry write logging")
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", "registry write logging")
        return
    registries = inventory.resources(*_REGISTRY_TYPES)
    if not registries:
        if not inventory.gaps:
            yield not_applicable(
                f"no model registry or image repository in {names(inventory.files)}"
            )
        return
    aws_trail = _management_trail(inventory)
    gcp_audit = _gcp_registry_audit(inventory)
    covered = 0
    for registry in registries:
        where = f"{registry.address} ({registry.path})"
        trail = gcp_audit if registry.type.startswith("google_") else aws_trail
        if trail:
            covered += 1
            yield passed(f"{where}: writes recorded by {trail}", key=registry.address)
        else:
            yield failed(f"{where}: no audit trail records its writes", key=registry.address)
    if covered:
        yield not_verified(
            "registry writes are recorded; that the sampled writes and promotions carry their "
            "principal and approver needs a registry log sample (not read by this check)",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no registry log sample"),
            key="log-sample",
        )
