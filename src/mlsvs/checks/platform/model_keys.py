"""Hosted model credentials limited in scope and spend (MLC1001, M5.3.1), from Terraform.

* **Amazon Bedrock**: every IAM policy that grants ``bedrock:`` invoke actions must name them
  (no ``bedrock:*`` or ``*``) on named model ARNs (no ``*`` resource, no ``foundation-model/*``),
  and an ``aws_budgets_budget`` must cap the spend on Amazon Bedrock (a cost filter on the
  service, or a budget without filter, with a notification or budget action).
* **Azure OpenAI / AI Services**: the account must turn off its API keys
  (``local_auth_enabled = false``; a key grants every deployment and operation of the account,
  so only Entra ID role assignments scope a caller), and every deployment must have a literal
  ``sku.capacity``: the tokens-per-minute rate cap.

Keys of other providers (OpenAI project keys, Anthropic workspaces) are created in the
provider's console, not in Terraform; a project whose files show no hosted-model credential is
not verified (the trait ``hosted_model_api`` says such credentials exist somewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    is_false,
    nothing_found,
    remote_module_outcome,
    unread_outcomes,
)
from mlsvs.checks.platform._policy import PolicyUnreadableError, Statement, statements
from mlsvs.checks.platform._sources import Source, block, items, load
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

    from mlsvs.checks.platform._sources import Inventory, TfBlock
    from mlsvs.plugin import CheckContext, Outcome

_POLICIES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
}
_INVOKE = ("bedrock:invoke", "bedrock:converse")
_OPENAI_KINDS = frozenset({"OpenAI", "AIServices"})


def _bedrock_statement(stmt: Statement) -> list[str] | None:
    """Problems of an Allow statement that grants Bedrock invocation (None: not one)."""
    if stmt.effect.lower() != "allow":
        return None
    actions = [a.lower() for a in stmt.actions]
    wild = [a for a in actions if a in {"*", "bedrock:*"} or a.startswith("bedrock:*")]
    invoke = [a for a in actions if a.startswith(_INVOKE)]
    if not wild and not invoke:
        return None
    problems = []
    if wild:
        problems.append(f"actions {', '.join(sorted(set(wild)))} grant every Bedrock operation")
    broad = [
        r for r in stmt.resources if r == "*" or r.endswith(("foundation-model/*", "model/*", ":*"))
    ]
    if broad:
        problems.append(f"resource {', '.join(sorted(set(broad)))} covers every model")
    return problems


def _policies(inventory: Inventory) -> Iterator[tuple[TfBlock, object]]:
    for rtype, attr in _POLICIES.items():
        for res in inventory.resources(rtype):
            yield res, res.body.get(attr)
    for role in inventory.resources("aws_iam_role"):
        for inline in block(role.body, "inline_policy"):
            yield role, inline.get("policy")


def _bedrock_budget(inventory: Inventory) -> str:
    """The budget capping Bedrock spend ('' when none)."""
    for budget in inventory.resources("aws_budgets_budget"):
        alerts = block(budget.body, "notification")
        actions = [
            a
            for a in inventory.resources("aws_budgets_budget_action")
            if budget.name in str(a.body.get("budget_name", ""))
        ]
        if not alerts and not actions:
            continue
        filters = block(budget.body, "cost_filter")
        services = [
            str(v)
            for f in filters
            if str(f.get("name")) == "Service"
            for v in items(f.get("values"))
        ]
        if not filters or any("bedrock" in s.lower() for s in services):
            return budget.address
    return ""


def _bedrock(inventory: Inventory) -> tuple[list[Outcome], list[Gap]]:
    out: list[Outcome] = []
    gaps: list[Gap] = []
    granting: list[tuple[TfBlock, list[str]]] = []
    for res, value in _policies(inventory):
        try:
            found = statements(value, inventory)
        except PolicyUnreadableError as exc:
            gaps.append(
                Gap(
                    item=f"{res.path}: {res.address}", reason=GapReason.UNSUPPORTED, detail=str(exc)
                )
            )
            continue
        judged = [p for p in map(_bedrock_statement, found) if p is not None]
        if judged:
            granting.append((res, [p for problems in judged for p in problems]))
    if not granting:
        return out, gaps
    budget = _bedrock_budget(inventory)
    for res, problems in granting:
        where = f"{res.address} ({res.path})"
        if not budget:
            problems = [*problems, "no aws_budgets_budget with an alert or action caps Bedrock"]
        if problems:
            out.append(failed(f"{where}: " + "; ".join(problems), key=res.address))
        else:
            out.append(
                passed(
                    f"{where}: named Bedrock actions on named models; spend capped by {budget}",
                    key=res.address,
                )
            )
    return out, gaps


def _azure(inventory: Inventory) -> list[Outcome]:
    out: list[Outcome] = []
    accounts = [
        a
        for a in inventory.resources("azurerm_cognitive_account")
        if str(a.body.get("kind")) in _OPENAI_KINDS
    ]
    for account in accounts:
        where = f"{account.address} ({account.path})"
        if is_false(account.body.get("local_auth_enabled")):
            out.append(
                passed(
                    f"{where}: API keys off; callers are scoped by Entra ID roles",
                    key=account.address,
                )
            )
        else:
            out.append(
                failed(
                    f"{where}: local_auth_enabled is not false, so its API keys grant every "
                    "deployment and operation of the account",
                    key=account.address,
                )
            )
    for deployment in inventory.resources("azurerm_cognitive_deployment"):
        where = f"{deployment.address} ({deployment.path})"
        skus = block(deployment.body, "sku") or block(deployment.body, "scale")
        capacity = skus[0].get("capacity") if skus else None
        if capacity is None or expression(capacity):
            out.append(
                failed(
                    f"{where}: no literal sku.capacity (tokens-per-minute cap)",
                    key=deployment.address,
                )
            )
        else:
            out.append(
                passed(f"{where}: capped at {capacity}k tokens per minute", key=deployment.address)
            )
    return out


@check(
    id="MLC1001",
    title="Hosted model credentials in Terraform are scoped to named models and capped",
    requirements=["M5.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Bedrock: grant bedrock:InvokeModel on the model ARNs the service uses and add "
    "an aws_budgets_budget on Amazon Bedrock with an alert or action; Azure OpenAI: set "
    "local_auth_enabled = false, grant 'Cognitive Services OpenAI User' per identity, and give "
    "every deployment an sku.capacity.",
)
def hosted_model_credentials_scoped(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Hosted model grants name their models and operations, and each has a cap.

    IAM policies granting Bedrock invocation and Azure OpenAI accounts and deployments: named
    operations on named models, keys off, and a spend or rate cap for each.
    """
    inventory = load(project, (Source.TERRAFORM,))
    yield from unread_outcomes(inventory, "hosted model credential scope")
    yield from remote_module_outcome(inventory, "hosted model credential scope")
    if not inventory.files:
        yield nothing_found("Terraform", "how hosted model credentials are scoped and capped")
        return
    bedrock, gaps = _bedrock(inventory)
    outcomes = [*bedrock, *_azure(inventory)]
    yield from outcomes
    if gaps:
        yield not_verified(
            "IAM policies that could not be read may grant hosted model access",
            gaps,
            key="unreadable-policies",
        )
    if not outcomes and not gaps:
        yield abstained(
            "no Bedrock grant or Azure OpenAI account in the Terraform: the hosted model "
            "credentials (OpenAI or Anthropic project keys, ...) are configured elsewhere, so "
            "their scope and cap are not shown",
            key="no-credentials",
        )
