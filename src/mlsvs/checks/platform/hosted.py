"""Hosted model deployments in IaC pin a dated model version and a region (MLC837, M5.3.2).

Azure OpenAI deployments (``azurerm_cognitive_deployment``) must name a model ``version`` and
turn off automatic upgrades (``version_upgrade_option = "NoAutoUpgrade"``; the provider default
moves the deployment to each new default version), in an account with a literal ``location``.
Bedrock agents and provisioned throughput must name a dated foundation-model ID
(``anthropic.claude-3-5-sonnet-20240620-v1:0``), not an alias, in a provider with a literal
region. The requirement is hybrid and covers every call: calls made from code need the
attestation (or the serving-code checks).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    names,
    nothing_found,
    references,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import Source, block, load
from mlsvs.plugin import (
    DeploymentConfig,
    Project,
    Severity,
    check,
    failed,
    not_applicable,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

_DATED = re.compile(r"(\d{8}|\d{4}-\d{2}-\d{2})")
_BEDROCK_MODEL = re.compile(r"foundation-model/([\w.:-]+)$|^([a-z0-9-]+\.[\w.:-]+)$")


def _aws_region(inventory: Inventory) -> str:
    for provider in inventory.terraform:
        if provider.block == "provider" and provider.name == "aws":
            region = provider.body.get("region")
            if isinstance(region, str) and not expression(region):
                return region
    return ""


def _azure(inventory: Inventory) -> Iterator[Outcome]:
    accounts = {a.name: a for a in inventory.resources("azurerm_cognitive_account")}
    for deployment in inventory.resources("azurerm_cognitive_deployment"):
        where = f"{deployment.address} ({deployment.path})"
        problems = []
        models = block(deployment.body, "model")
        version = str(models[0].get("version", "")) if models else ""
        name = str(models[0].get("name", "?")) if models else "?"
        if not version or expression(version):
            problems.append(f"model {name} names no literal version")
        upgrade = str(
            deployment.body.get("version_upgrade_option", "OnceNewDefaultVersionAvailable")
        )
        if upgrade != "NoAutoUpgrade":
            problems.append(
                f"version_upgrade_option {upgrade} moves the deployment to new versions"
            )
        owners = references(
            deployment.body.get("cognitive_account_id"), "azurerm_cognitive_account"
        )
        location = ""
        for owner in owners:
            value = accounts[owner].body.get("location") if owner in accounts else None
            location = value if isinstance(value, str) and not expression(value) else ""
        if not location:
            problems.append("the account's location is not a literal region")
        if problems:
            yield failed(f"{where}: " + "; ".join(problems), key=deployment.address)
        else:
            yield passed(
                f"{where}: {name} {version}, no auto-upgrade, region {location}",
                key=deployment.address,
            )


def _bedrock(inventory: Inventory) -> Iterator[Outcome]:
    region = _aws_region(inventory)
    fields = {
        "aws_bedrockagent_agent": "foundation_model",
        "aws_bedrock_provisioned_model_throughput": "model_arn",
    }
    for rtype, key in fields.items():
        for res in inventory.resources(rtype):
            where = f"{res.address} ({res.path})"
            value = str(res.body.get(key, ""))
            match = _BEDROCK_MODEL.search(value)
            model = (match.group(1) or match.group(2)) if match else ""
            problems = []
            if not model or expression(value):
                problems.append(f"{key} is not a literal model ID")
            elif not _DATED.search(model):
                problems.append(f"{model} is not a dated model version")
            if not region:
                problems.append("the aws provider has no literal region")
            if problems:
                yield failed(f"{where}: " + "; ".join(problems), key=res.address)
            else:
                yield passed(f"{where}: {model} in {region}", key=res.address)


@check(
    id="MLC837",
    title="Hosted model deployments in IaC pin a dated model version and a region",
    requirements=["M5.3.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Azure OpenAI: set model.version and version_upgrade_option = 'NoAutoUpgrade' "
    "in an account with a fixed location; Bedrock: reference dated model IDs "
    "(...-20240620-v1:0) and a fixed provider region.",
)
def hosted_models_pinned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every hosted model deployment declared in Terraform names a dated version that does not
    move and a fixed region (Azure OpenAI deployments, Bedrock agents and provisioned
    throughput)."""
    inventory = load(project, (Source.TERRAFORM,))
    yield from unread_outcomes(inventory, "hosted model pinning")
    if not inventory.files:
        yield nothing_found("Terraform", "pinned hosted model versions")
        return
    outcomes = [*_azure(inventory), *_bedrock(inventory)]
    yield from outcomes
    if not outcomes and not inventory.gaps:
        yield not_applicable(
            f"no hosted model deployment in {names(inventory.files)}; calls made from code are "
            "judged there"
        )
