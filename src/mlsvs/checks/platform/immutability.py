"""Registered model versions cannot be overwritten (MLC1033, M4.5.3), read from the model
registry's storage in Terraform and CloudFormation.

The stores judged are those that hold registered model versions: object stores and container
or artifact registries whose resource name or literal bucket/repository name says so
(``model``, ``registry``, ``mlflow``, ``artifact``, ``weights``, ``checkpoint``, ``serving``).
A store holding versions refuses an overwrite when:

- S3: Object Lock is enabled on the bucket and a default retention (GOVERNANCE or COMPLIANCE
  mode, with days or years) applies — versioning alone keeps the old bytes but still lets a
  ``PutObject`` replace the version callers resolve;
- ECR: ``image_tag_mutability = "IMMUTABLE"`` (a pushed tag cannot be moved);
- Artifact Registry: ``docker_config { immutable_tags = true }``;
- GCS: a locked ``retention_policy`` (an unlocked one can be removed by a bucket admin);
- Azure Storage: version-level immutability (``immutability_policy`` on the account) or a
  ``azurerm_storage_container_immutability_policy`` for one of its containers.

A value written as an expression (``var.lock``) is not evaluated: that store is not verified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    names,
    nothing_found,
    references,
    remote_module_outcome,
    truthy,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import IAC, block, items, load, mapping
from mlsvs.checks.platform._stores import Store, stores
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

MODEL_STORE = re.compile(
    r"model|registry|mlflow|artifact|weight|checkpoint|serving|inference", re.IGNORECASE
)
_KINDS = frozenset({"object_store", "registry"})
_NAME_KEYS = ("bucket", "name", "repository_id", "BucketName", "RepositoryName")
_MODES = frozenset({"GOVERNANCE", "COMPLIANCE"})


def holds_models(store: Store) -> bool:
    """Whether the store is named as a model registry or artifact location."""
    literal = [str(store.body.get(k, "")) for k in _NAME_KEYS]
    return store.kind in _KINDS and any(MODEL_STORE.search(v) for v in (store.name, *literal))


def _retention(rules: list[object], mode_key: str, days: tuple[str, str]) -> tuple[str, str]:
    """(verdict, text): verdict ``ok``, ``bad`` or ``unknown`` for Object Lock default rules."""
    for rule in rules:
        for default in items(
            mapping(rule).get("default_retention" if mode_key == "mode" else "DefaultRetention")
        ):
            d = mapping(default)
            mode = d.get(mode_key)
            if expression(mode) or any(expression(d.get(k)) for k in days):
                return "unknown", f"the default retention is an expression ({mode!r})"
            if str(mode).upper() in _MODES and any(d.get(k) for k in days):
                span = next(f"{d[k]} {k.lower()}" for k in days if d.get(k))
                return "ok", f"Object Lock default retention {str(mode).upper()} {span}"
    return "bad", "Object Lock has no default retention (objects can be overwritten)"


def _s3(store: Store, inventory: Inventory) -> tuple[str, str]:
    body = store.body
    if store.cloudformation:
        enabled = body.get("ObjectLockEnabled")
        if expression(enabled):
            return "unknown", "ObjectLockEnabled is an expression"
        if not truthy(enabled):
            return "bad", "ObjectLockEnabled is not true: a registered version can be replaced"
        rules = items(mapping(body.get("ObjectLockConfiguration")).get("Rule"))
        return _retention(rules, "Mode", ("Days", "Years"))
    legacy = block(body, "object_lock_configuration")
    enabled = body.get("object_lock_enabled")
    if expression(enabled):
        return "unknown", "object_lock_enabled is an expression"
    legacy_on = any(str(c.get("object_lock_enabled", "")) == "Enabled" for c in legacy)
    if not (truthy(enabled) or legacy_on):
        return "bad", "Object Lock is not enabled: a registered version can be overwritten"
    literal = str(body.get("bucket", ""))
    configs = [
        c.body
        for c in inventory.resources("aws_s3_bucket_object_lock_configuration")
        if store.name in references(c.body.get("bucket"), "aws_s3_bucket")
        or (literal and c.body.get("bucket") == literal and not expression(literal))
    ]
    rules = [r for c in (*configs, *legacy) for r in block(c, "rule")]
    return _retention(rules, "mode", ("days", "years"))


def _judge(store: Store, inventory: Inventory) -> tuple[str, str]:
    body = store.body
    match store.type:
        case "aws_s3_bucket" | "AWS::S3::Bucket":
            return _s3(store, inventory)
        case "aws_ecr_repository" | "AWS::ECR::Repository":
            key = "ImageTagMutability" if store.cloudformation else "image_tag_mutability"
            value = body.get(key)
            if expression(value):
                return "unknown", f"{key} is an expression"
            if str(value).upper().startswith("IMMUTABLE"):
                return "ok", f"{key} = {value}"
            return "bad", f"{key} is {value or 'MUTABLE (default)'}: a tag can be re-pushed"
        case "google_artifact_registry_repository":
            flags = [c.get("immutable_tags") for c in block(body, "docker_config")]
            if any(expression(f) for f in flags):
                return "unknown", "docker_config.immutable_tags is an expression"
            if any(truthy(f) for f in flags):
                return "ok", "docker_config.immutable_tags = true"
            return "bad", "tags are mutable (no docker_config.immutable_tags = true)"
        case "google_storage_bucket":
            policies = block(body, "retention_policy")
            if any(expression(p.get("is_locked")) for p in policies):
                return "unknown", "retention_policy.is_locked is an expression"
            if any(truthy(p.get("is_locked")) and p.get("retention_period") for p in policies):
                return "ok", "a locked retention policy"
            if policies:
                return "bad", "the retention policy is not locked: an admin can remove it"
            return "bad", "no retention policy: objects can be overwritten"
        case "azurerm_storage_account":
            account = block(body, "immutability_policy")
            containers = [
                c
                for c in inventory.resources("azurerm_storage_container_immutability_policy")
                if store.name
                in _account_of(c.body.get("storage_container_resource_manager_id"), inventory)
            ]
            if account or containers:
                where = "account" if account else f"container policy {containers[0].name}"
                return "ok", f"blob immutability ({where})"
            return "bad", "no blob immutability policy: blobs can be overwritten"
    return "unknown", f"{store.type}: immutability of this store type is not read"


def _account_of(value: object, inventory: Inventory) -> set[str]:
    """Storage accounts a container reference leads to (container -> storage_account_name)."""
    out: set[str] = set()
    for container in references(value, "azurerm_storage_container"):
        for c in inventory.resources("azurerm_storage_container"):
            if c.name == container:
                out |= references(c.body.get("storage_account_id"), "azurerm_storage_account")
                out |= references(c.body.get("storage_account_name"), "azurerm_storage_account")
    return out


@check(
    id="MLC1033",
    title="The model registry's storage refuses overwriting a registered version",
    requirements=["M4.5.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Enable S3 Object Lock with a default retention on the registry bucket, "
    "ECR/Artifact Registry immutable tags, a locked GCS retention policy or Azure blob "
    "immutability for the model store.",
)
def registry_versions_immutable(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every model-registry bucket or repository declared in IaC enforces write-once
    versions (Object Lock retention, immutable tags, locked retention, blob immutability)."""
    what = "immutability of registered model versions"
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, what)
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", what)
        return
    yield from remote_module_outcome(inventory, what)
    judged = [s for s in stores(inventory) if holds_models(s)]
    if not judged:
        yield abstained(
            f"the infrastructure code ({names(inventory.files)}) declares no bucket or "
            "repository named as a model registry, so nothing shows that versions are "
            "write-once (the registry may live elsewhere)",
            key="no-registry-store",
        )
        return
    for store in judged:
        verdict, text = _judge(store, inventory)
        facts = (("kind", store.kind), ("resource", store.address), ("file", store.path))
        message = f"{store.address} ({store.path}): {text}"
        if verdict == "ok":
            yield passed(message, key=store.address, facts=facts)
        elif verdict == "bad":
            yield failed(message, key=store.address, facts=facts)
        else:
            yield not_verified(
                message,
                Gap(
                    item=f"{store.path}: {store.address}",
                    reason=GapReason.UNSUPPORTED,
                    detail=text[:300],
                ),
                key=store.address,
                facts=facts,
            )
