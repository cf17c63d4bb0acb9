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
from mlsvs.checks.platform._sources import IAC, block, load, mapping
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
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
