"""Accounts, environments and credentials in infrastructure code: development, staging and
production separated into their own accounts or projects (MLC820) and static credentials
rotated within the standard's maximum age (MLC811)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    names,
    nothing_found,
    references,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import IAC, Source, block, items, load, mapping
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

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

# Environment names and their canonical form.
_ENVIRONMENTS = {
    "dev": "development",
    "development": "development",
    "sandbox": "development",
    "test": "test",
    "qa": "test",
    "stage": "staging",
    "staging": "staging",
    "stg": "staging",
    "preprod": "staging",
    "prod": "production",
    "production": "production",
    "prd": "production",
}
_ACCOUNT = re.compile(r"^\d{12}$")
# ``{staging = "2109...", production = "1234..."}`` inside a Terraform expression.
_MAP_ENTRY = re.compile(r"\b([A-Za-z][\w-]*)\s*=\s*\"([^\"$]+)\"")
_ACCOUNT_KEYS = (
    "allowed_account_ids",
    "account_id",
    "aws_account_id",
    "project",
    "project_id",
    "subscription_id",
    "gcp_project",
)


def _environment(word: str) -> str:
    return _ENVIRONMENTS.get(word.lower(), "")


def _account_like(value: str) -> bool:
    return bool(_ACCOUNT.match(value)) or bool(re.match(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", value))


def environment_accounts(inventory: Inventory) -> dict[str, set[str]]:
    """Environment -> the accounts/projects the IaC assigns to it.

    Two ways to say it: a map keyed by environment in ``locals`` (``{staging = "2109...",
    production = "1234..."}[var.environment]``) whose local feeds a provider's account pin, or
    per-environment directories / ``*.tfvars`` files that set an account or project literally.
    """
    found: dict[str, set[str]] = {}
    provider_text = " ".join(str(b.body) for b in inventory.terraform if b.block == "provider")
    for local in (b for b in inventory.terraform if b.block == "locals"):
        for key, value in local.body.items():
            if not isinstance(value, str) or f"local.{key}" not in provider_text:
                continue
            for env_word, account in _MAP_ENTRY.findall(value):
                env = _environment(env_word)
                if env and _account_like(account):
                    found.setdefault(env, set()).add(account)
    for b in inventory.terraform:
        if b.block != "provider":
            continue
        env = _path_environment(b.path)
        if not env:
            continue
        for key in _ACCOUNT_KEYS:
            for value in items(b.body.get(key)) or [b.body.get(key)]:
                if isinstance(value, str) and not expression(value) and _account_like(value):
                    found.setdefault(env, set()).add(value)
        for role in block(b.body, "assume_role"):
            arn = str(role.get("role_arn", ""))
            match = re.match(r"arn:aws:iam::(\d{12}):", arn)
            if match:
                found.setdefault(env, set()).add(match.group(1))
    for path, values in inventory.tfvars:
        env = _path_environment(path)
        if not env:
            continue
        for key in _ACCOUNT_KEYS:
            value = values.get(key)
            if isinstance(value, str) and _account_like(value):
                found.setdefault(env, set()).add(value)
    return found


def _path_environment(path: str) -> str:
    pure = PurePosixPath(path)
    stem = pure.name.split(".")[0]
    for word in (stem, *reversed(pure.parts[:-1])):
        env = _environment(word)
        if env:
            return env
    return ""


@check(
    id="MLC820",
    title="Development, staging and production use distinct accounts or projects in IaC",
    requirements=["M9.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Give every environment its own cloud account/project and pin it in the "
    "provider (allowed_account_ids, assume_role into that account, project = ...), per "
    "environment directory, tfvars file or an environment-keyed map.",
)
def environments_separated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The IaC assigns each environment its own account/project, shared by no other.

    Covers the configuration clause of the hybrid M9.3.1 (distinct accounts or projects, and
    so distinct credentials, per environment). That no production data or registry is
    writable from development needs the reviewer's attestation.
    """
    inventory = load(project, (Source.TERRAFORM, Source.TERRAFORM_VARS))
    yield from unread_outcomes(inventory, "environment separation")
    if not inventory.files:
        yield nothing_found("Terraform", "per-environment accounts")
        return
    accounts = environment_accounts(inventory)
    if len(accounts) < 2:
        seen = ", ".join(f"{e}: {', '.join(sorted(a))}" for e, a in accounts.items()) or "none"
        yield not_verified(
            f"the Terraform ({names(inventory.files)}) does not show an account or project per "
            f"environment (found {seen}); pin one per environment in the provider",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no per-environment accounts"),
            key="environments",
        )
        return
    owners: dict[str, list[str]] = {}
    for env, ids in accounts.items():
        for account in ids:
            owners.setdefault(account, []).append(env)
    shared = {a: sorted(e) for a, e in owners.items() if len(e) > 1}
    facts = tuple(sorted((f"account.{e}", ",".join(sorted(a))) for e, a in accounts.items()))
    if shared:
        yield failed(
            "environments share an account/project: "
            + "; ".join(f"{a} is used by {', '.join(e)}" for a, e in sorted(shared.items())),
            key="environments",
            facts=facts,
        )
    else:
        yield passed(
            "one account/project per environment: "
            + "; ".join(f"{e} {', '.join(sorted(a))}" for e, a in sorted(accounts.items())),
            key="environments",
            facts=facts,
        )


# ---------------------------------------------------------------- rotation (M9.3.5)

ROTATION_PARAMETER = "M9.3.5.max_credential_age_days"
_RATE = re.compile(r"rate\((\d+)\s+days?\)")


def _rotation_days(body: object) -> int | None:
    for rules in block(body if isinstance(body, dict) else {}, "rotation_rules"):
        days = rules.get("automatically_after_days")
        if isinstance(days, int) and not isinstance(days, bool):
            return days
        match = _RATE.search(str(rules.get("schedule_expression", "")))
        if match:
            return int(match.group(1))
    return None


@check(
    id="MLC811",
    title="Static credentials in IaC rotate within the maximum credential age",
    requirements=["M9.3.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Attach aws_secretsmanager_secret_rotation (automatically_after_days at most "
    "the standard's max_credential_age_days) to every secret; replace IAM user access keys "
    "and service-account keys with workload identity.",
)
def static_credentials_rotated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every Secrets Manager secret rotates at most every ``max_credential_age_days``; IAM
    user access keys and service-account keys, which IaC cannot rotate, fail.

    A rotation period no longer than the limit keeps every version younger than the limit.
    """
    limit = ctx.parameter(ROTATION_PARAMETER, 90)
    inventory = load(project, IAC)
    yield from unread_outcomes(inventory, "credential rotation")
    if not inventory.files:
        yield nothing_found("Terraform or CloudFormation", "credential rotation")
        return
    judged = 0
    rotations = inventory.resources("aws_secretsmanager_secret_rotation")
    for secret in inventory.resources("aws_secretsmanager_secret"):
        judged += 1
        facts = (("resource", secret.address), ("limit_days", str(limit)))
        attached = [
            r
            for r in rotations
            if secret.name in references(r.body.get("secret_id"), "aws_secretsmanager_secret")
        ]
        days = [d for r in attached if (d := _rotation_days(r.body)) is not None]
        where = f"{secret.address} ({secret.path})"
        if not attached:
            yield failed(f"{where}: no rotation configured", key=secret.address, facts=facts)
        elif not days:
            yield not_verified(
                f"{where}: the rotation period is an expression mlsvs does not evaluate",
                Gap(item=where, reason=GapReason.UNSUPPORTED, detail="rotation period"),
                key=secret.address,
                facts=facts,
            )
        elif min(days) > limit:
            yield failed(
                f"{where}: rotates every {min(days)} days, longer than {limit}",
                key=secret.address,
                facts=facts,
            )
        else:
            yield passed(
                f"{where}: rotates every {min(days)} days (limit {limit})",
                key=secret.address,
                facts=facts,
            )
    for cfn in inventory.cfn("AWS::SecretsManager::Secret"):
        judged += 1
        schedules = [
            r
            for r in inventory.cfn("AWS::SecretsManager::RotationSchedule")
            if str(r.properties.get("SecretId")) in {str({"Ref": cfn.logical_id}), cfn.logical_id}
        ]
        periods = [
            mapping(r.properties.get("RotationRules")).get("AutomaticallyAfterDays")
            for r in schedules
        ]
        cfn_days = [p for p in periods if isinstance(p, int) and not isinstance(p, bool)]
        where = f"{cfn.path}: {cfn.logical_id}"
        if not cfn_days or min(cfn_days) > limit:
            why = "no rotation schedule" if not cfn_days else f"rotates every {min(cfn_days)} days"
            yield failed(f"{where}: {why} (limit {limit})", key=where)
        else:
            yield passed(f"{where}: rotates every {min(cfn_days)} days (limit {limit})", key=where)
    for key in inventory.resources(
        "aws_iam_access_key", "google_service_account_key", "azuread_application_password"
    ):
        judged += 1
        yield failed(
            f"{key.address} ({key.path}): a static key created in IaC has no rotation; use "
            "workload identity (IAM roles, Workload Identity) instead",
            key=key.address,
            facts=(("resource", key.address),),
        )
    if not judged and not inventory.gaps:
        yield not_applicable(
            f"the infrastructure code ({names(inventory.files)}) creates no static credential"
        )
