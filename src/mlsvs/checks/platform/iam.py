"""Who may write ML stores, in Terraform IAM: data stores (MLC850, M2.2.3), the model registry
and artifact stores (MLC851, M4.5.1) and training identities (MLC852, M3.3.3).

Every policy the IaC writes is read (``aws_iam_policy``, inline role/user/group policies,
``aws_iam_policy_document``, bucket, ECR and model-package-group resource policies) along with
AWS managed policies attached by ARN, and Google Cloud IAM members. A grant is *broad* when it
allows a wildcard action (``*``, ``s3:*``, ``s3:Put*``) or ``NotAction``, a write on every
resource (``*``), or anything to every principal (``*``, ``allUsers``). These requirements are
hybrid: that every remaining principal is named and justified needs the attestation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    names,
    nothing_found,
    references,
    remote_module_outcome,
    unread_outcomes,
)
from mlsvs.checks.platform._policy import PolicyUnreadableError, Statement, statements
from mlsvs.checks.platform._sources import IAC, block, items, load
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

_POLICY_ATTRS: dict[str, str] = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_ecr_repository_policy": "policy",
    "aws_sagemaker_model_package_group_policy": "resource_policy",
}
_ATTACHMENTS = (
    "aws_iam_role_policy_attachment",
    "aws_iam_user_policy_attachment",
    "aws_iam_group_policy_attachment",
    "aws_iam_policy_attachment",
)
_MANAGED_BROAD = {
    "AdministratorAccess": {"data", "registry"},
    "PowerUserAccess": {"data", "registry"},
    "AmazonS3FullAccess": {"data", "registry"},
    "AmazonDynamoDBFullAccess": {"data"},
    "AmazonSageMakerFullAccess": {"data", "registry"},
    "AmazonEC2ContainerRegistryFullAccess": {"registry"},
    "AmazonEC2ContainerRegistryPowerUser": {"registry"},
    "AWSGlueConsoleFullAccess": {"data"},
}
_WRITE_VERB = re.compile(
    r"^(Put|Delete|Create|Update|Write|Upload|Replicate|Restore|"
    r"BatchWrite|BatchDelete|Initiate|Complete|Import|Copy|Tag)"
)
_DATA_SERVICES = frozenset({"s3", "dynamodb", "glue", "lakeformation"})
_REGISTRY_ACTIONS = re.compile(
    r"^(ecr:(PutImage|BatchDeleteImage|CompleteLayerUpload|UploadLayerPart|InitiateLayerUpload|"
    r"PutImageTagMutability|SetRepositoryPolicy|DeleteRepository)|sagemaker:(CreateModelPackage|"
    r"UpdateModelPackage|DeleteModelPackage|CreateModelPackageGroup|PutModelPackageGroupPolicy|"
    r"CreateModel|DeleteModel))$"
)
_GCS_WRITE_ROLES = re.compile(
    r"roles/(storage\.(admin|objectAdmin|objectCreator|objectUser|"
    r"legacyBucketWriter|legacyBucketOwner)|owner|editor)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A broad grant found in the IaC."""

    where: str
    what: str
    scope: frozenset[str]
    """``data`` and/or ``registry``: which requirement it concerns."""
    holder: str = ""
    """The role/user/group it is attached to, when known (``aws_iam_role.trainer``)."""


def _service_action(action: str) -> tuple[str, str]:
    service, _, verb = action.partition(":")
    return service.lower(), verb


def _statement_grants(stmt: Statement, where: str, holder: str) -> list[Grant]:
    if stmt.effect.lower() != "allow":
        return []
    out = []
    public = "*" in stmt.principals and not stmt.conditioned
    everywhere = any(
        r.strip() in {"*", "arn:aws:s3:::*", "arn:aws:s3:::*/*"} for r in stmt.resources
    )
    for action in stmt.actions:
        service, verb = _service_action(action)
        scope: set[str] = set()
        if action == "*":
            scope = {"data", "registry"}
        elif verb == "*" or (verb.endswith("*") and _WRITE_VERB.match(verb.rstrip("*"))):
            if service in _DATA_SERVICES:
                scope.add("data")
            if service in {"ecr", "sagemaker", "s3"}:
                scope.add("registry")
        writes = (service in _DATA_SERVICES and _WRITE_VERB.match(verb)) or _REGISTRY_ACTIONS.match(
            action
        )
        if scope:
            out.append(
                Grant(
                    where=where,
                    what=f"wildcard action {action}",
                    scope=frozenset(scope),
                    holder=holder,
                )
            )
        elif writes and (public or everywhere):
            target = {"data"} if service in _DATA_SERVICES else {"registry"}
            if service == "s3":
                target = {"data", "registry"}
            who = "every principal ('*')" if public else "every resource ('*')"
            out.append(
                Grant(
                    where=where, what=f"{action} for {who}", scope=frozenset(target), holder=holder
                )
            )
    return out


def _holder(block_: TfBlock) -> str:
    for rtype in ("aws_iam_role", "aws_iam_user", "aws_iam_group"):
        key = rtype.removeprefix("aws_iam_")
        found = references(block_.body.get(key) or block_.body.get(f"{key}s"), rtype)
        if found:
            return f"{rtype}.{sorted(found)[0]}"
    return ""


def analyse(inventory: Inventory) -> tuple[list[Grant], list[Gap], int]:
    """Broad grants, policies that could not be read, and how many policies were read."""
    grants: list[Grant] = []
    gaps: list[Gap] = []
    read = 0
    for rtype, attr in _POLICY_ATTRS.items():
        for res in inventory.resources(rtype):
            holder = _holder(res)
            try:
                found = statements(res.body.get(attr), inventory)
            except PolicyUnreadableError as exc:
                gaps.append(
                    Gap(
                        item=f"{res.path}: {res.address}",
                        reason=GapReason.UNSUPPORTED,
                        detail=str(exc)[:300],
                    )
                )
                continue
            read += 1
            for stmt in found:
                grants += _statement_grants(stmt, f"{res.address} ({res.path})", holder)
    for role in inventory.resources("aws_iam_role"):
        for inline in block(role.body, "inline_policy"):
            try:
                found = statements(inline.get("policy"), inventory)
            except PolicyUnreadableError as exc:
                gaps.append(
                    Gap(
                        item=f"{role.path}: {role.address}",
                        reason=GapReason.UNSUPPORTED,
                        detail=str(exc)[:300],
                    )
                )
                continue
            read += 1
            for stmt in found:
                grants += _statement_grants(
                    stmt, f"{role.address} inline ({role.path})", role.address
                )
    for attachment in inventory.resources(*_ATTACHMENTS):
        arn = str(attachment.body.get("policy_arn", ""))
        read += 1
        managed = arn.rsplit("/", 1)[-1] if ":aws:policy/" in arn else ""
        if managed in _MANAGED_BROAD:
            grants.append(
                Grant(
                    where=f"{attachment.address} ({attachment.path})",
                    what=f"AWS managed {managed}",
                    scope=frozenset(_MANAGED_BROAD[managed]),
                    holder=_holder(attachment),
                )
            )
    for rtype in (
        "google_storage_bucket_iam_member",
        "google_storage_bucket_iam_binding",
        "google_project_iam_member",
        "google_project_iam_binding",
    ):
        for res in inventory.resources(rtype):
            read += 1
            granted = str(res.body.get("role", ""))
            members = " ".join(
                str(m) for m in [res.body.get("member", ""), *items(res.body.get("members"))]
            )
            if not _GCS_WRITE_ROLES.search(granted):
                continue
            public = "allUsers" in members or "allAuthenticatedUsers" in members
            project_wide = rtype.startswith("google_project")
            if public or project_wide:
                grants.append(
                    Grant(
                        where=f"{res.address} ({res.path})",
                        what=f"{granted} to {members[:80]}"
                        + (" project-wide" if project_wide else ""),
                        scope=frozenset({"data", "registry"}),
                        holder=members[:80],
                    )
                )
    return grants, gaps, read


def _judge(project: Project, scope: str, what: str) -> Iterator[Outcome]:
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, what)
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", what)
        return
    yield from remote_module_outcome(inventory, what)
    grants, gaps, read = analyse(inventory)
    relevant = [g for g in grants if scope in g.scope]
    for grant in relevant:
        yield failed(
            f"{grant.where}: {grant.what}",
            key=f"{grant.where}:{grant.what}",
            facts=(("grant", grant.what), ("holder", grant.holder)),
        )
    if gaps:
        yield not_verified(
            f"{len(gaps)} polic(ies) are expressions mlsvs does not evaluate: "
            + names(g.item for g in gaps),
            gaps,
            key="unreadable-policies",
        )
    if not relevant and not gaps:
        if read:
            yield passed(
                f"{read} IAM polic(ies)/grant(s) read: no broad or public {what}", key="iam"
            )
        elif not inventory.gaps:
            yield not_applicable(
                f"the infrastructure code ({names(inventory.files)}) grants no IAM permission"
            )


@check(
    id="MLC850",
    title="No public or wildcard write grant on data stores in IaC",
    requirements=["M2.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Grant s3:PutObject/DeleteObject (and the feature-store equivalents) on named "
    "bucket ARNs to the pipeline roles only; drop s3:*, '*' and *FullAccess policies and any "
    "allUsers or '*' principal.",
)
def data_store_writes_restricted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No IAM policy in the IaC grants write to data stores broadly: wildcard actions, writes on
    every resource, public principals or full-access managed policies.

    Covers the policy-analysis clause of the hybrid M2.2.3; that each write principal is listed
    and justified needs the attestation.
    """
    yield from _judge(project, "data", "write access to data stores")


@check(
    id="MLC851",
    title="No broad write or promotion grant on the model registry or artifact store in IaC",
    requirements=["M4.5.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Limit ecr:PutImage, sagemaker:CreateModelPackage/UpdateModelPackage and model "
    "bucket writes to the pipeline role and approvers, on named resources; remove "
    "*FullAccess, PowerUser and '*' grants.",
)
def registry_writes_restricted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No IAM or resource policy grants registry writes or promotions broadly.

    Covers the policy clause of the hybrid M4.5.1; that the remaining principals are exactly
    the pipeline identity and named approvers needs the attestation.
    """
    yield from _judge(project, "registry", "write or promotion rights on registries")


_TRAINING_NAME = re.compile(r"(train|trainer|training|fine-?tun|sagemaker-job)", re.I)


@check(
    id="MLC852",
    title="Training roles in IaC hold no administrative or wildcard permissions",
    requirements=["M3.3.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Give each training job its own role that reads its input prefix and writes "
    "its output prefix only; no AdministratorAccess, *FullAccess, wildcard actions or "
    "model-promotion rights.",
)
def training_roles_least_privilege(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """IAM roles for training (named for training, or assumed by SageMaker for jobs) carry no
    administrative, wildcard or promotion grant.

    Covers the IAM clause of the hybrid M3.3.3; that each reads only its datasets and writes
    only its own output needs the attestation.
    """
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, "training permissions")
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", "training permissions")
        return
    roles = [
        r
        for r in inventory.resources("aws_iam_role")
        if _TRAINING_NAME.search(f"{r.name} {r.body.get('name', '')}")
    ]
    if not roles:
        if not inventory.gaps:
            yield not_applicable(f"no training role in {names(inventory.files)}")
        return
    grants, gaps, _ = analyse(inventory)
    for role in roles:
        held = [g for g in grants if g.holder == role.address]
        promotion = [g for g in held if "sagemaker:UpdateModelPackage" in g.what]
        facts = (("role", role.address),)
        if held:
            yield failed(
                f"{role.address} ({role.path}): "
                + "; ".join(f"{g.what} via {g.where}" for g in held)
                + ("; can promote models" if promotion else ""),
                key=role.address,
                facts=facts,
            )
        elif gaps:
            yield not_verified(
                f"{role.address}: some policies could not be read",
                gaps,
                key=role.address,
                facts=facts,
            )
        else:
            yield passed(
                f"{role.address} ({role.path}): no administrative or wildcard grant",
                key=role.address,
                facts=facts,
            )
