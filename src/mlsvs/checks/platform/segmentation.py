"""Zones in the cluster: default-deny network segmentation per namespace (MLC814, M9.3.4)
and training separated from serving (MLC816, M3.3.5), from Kubernetes manifests.

A namespace is a zone. Both requirements are hybrid: the checks judge what the manifests show
(default-deny policies in every zone; training and serving in different namespaces); the
connectivity test from serving to raw data and the reviewer's acceptance of any shared zone
need the attestation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, items, load, mapping
from mlsvs.checks.platform._workloads import workloads
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

    from mlsvs.checks.platform._sources import Inventory, KubeObject
    from mlsvs.plugin import CheckContext, Outcome


def _default_deny(policy: KubeObject) -> set[str]:
    """The directions (Ingress, Egress) a policy denies for every pod of its namespace."""
    spec = mapping(policy.doc.get("spec"))
    selector = mapping(spec.get("podSelector"))
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        return set()
    types = {str(t) for t in items(spec.get("policyTypes"))} or {"Ingress"}
    denied = set()
    if "Ingress" in types and not items(spec.get("ingress")):
        denied.add("Ingress")
    if "Egress" in types and not items(spec.get("egress")):
        denied.add("Egress")
    return denied


def _zones(inventory: Inventory) -> dict[str, set[str]]:
    """Namespace -> roles of the workloads it runs."""
    zones: dict[str, set[str]] = {}
    for workload in workloads(inventory):
        zones.setdefault(workload.namespace or "default", set()).add(workload.role)
    return zones


@check(
    id="MLC814",
    title="Every namespace running ML workloads denies ingress and egress by default",
    requirements=["M9.3.4"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and "
    "no rules to every namespace, then allow only the documented flows; keep serving, "
    "training and data workloads in separate namespaces.",
)
def namespaces_default_deny(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each namespace with workloads has a default-deny policy for both directions, and no
    namespace mixes serving with training workloads (a flat zone).

    Covers the configuration clause of the hybrid M9.3.4; the connectivity test from serving
    to raw data stores needs the attestation.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "network segmentation")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "network segmentation")
        return
    zones = _zones(inventory)
    if not zones:
        if not inventory.gaps:
            yield not_applicable(f"no workload in {names(inventory.files)}")
        return
    for namespace, roles in sorted(zones.items()):
        denied: set[str] = set()
        deny_names = []
        for policy in inventory.objects("NetworkPolicy"):
            if (policy.namespace or "default") == namespace and (d := _default_deny(policy)):
                denied |= d
                deny_names.append(policy.name)
        problems = []
        missing = {"Ingress", "Egress"} - denied
        if missing:
            problems.append(f"no default-deny {' / '.join(sorted(missing))} policy")
        if {"serving", "training"} <= roles:
            problems.append("serving and training workloads share the namespace")
        ref = f"namespace {namespace}"
        if problems:
            yield failed(f"{ref}: " + "; ".join(problems), key=ref)
        else:
            yield passed(
                f"{ref} ({', '.join(sorted(roles))}): default deny by {', '.join(deny_names)}",
                key=ref,
            )


@check(
    id="MLC816",
    title="Training runs in namespaces separate from production serving",
    requirements=["M3.3.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Run training jobs in their own namespace (better: their own cluster or "
    "account), never next to the serving deployments.",
)
def training_separated_from_serving(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No namespace runs both training jobs and serving workloads.

    Covers the configuration clause of the hybrid M3.3.5; separate clusters or accounts, and
    a reviewer's acceptance of any shared one, need the attestation.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "training/serving separation")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "where training and serving run")
        return
    zones = _zones(inventory)
    training = {n for n, roles in zones.items() if "training" in roles}
    serving = {n for n, roles in zones.items() if "serving" in roles}
    if not training or not serving:
        if not inventory.gaps:
            only = "training" if training else "serving" if serving else "no"
            yield not_applicable(
                f"the manifests ({names(inventory.files)}) run {only} workloads only"
            )
        return
    shared = sorted(training & serving)
    if shared:
        yield failed(
            f"training and serving share namespace(s) {', '.join(shared)}", key="namespaces"
        )
    else:
        yield passed(
            f"training in {', '.join(sorted(training))}; serving in {', '.join(sorted(serving))}",
            key="namespaces",
        )
