"""Notebook servers that could open untrusted models hold no production credentials or shared
data (MLC818, M3.3.4).

A notebook server is a Kubeflow ``Notebook``, a workload running a Jupyter / JupyterHub /
code-server image, or an ``aws_sagemaker_notebook_instance``. The requirement fails when users
can load hub models in a shared notebook that holds long-lived credentials or mounts
production data, so a notebook fails when it can reach the internet (no egress policy; a
SageMaker instance without ``direct_internet_access = "Disabled"``) *and* it holds credentials
(secret references, workload identity, credential-named variables) or mounts shared storage
(PersistentVolumeClaims, host paths, NFS), or, on SageMaker, its role has a broad grant. The
requirement is hybrid: that intake happens in a quarantine workspace and notebook servers
scan before load needs the attestation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, items, load, mapping
from mlsvs.checks.platform._workloads import Workload, workloads
from mlsvs.checks.platform.iam import analyse
from mlsvs.checks.platform.workloads import credential_name, egress_policies, workload_identity
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

_NOTEBOOK_IMAGE = re.compile(
    r"(jupyter|notebook|jupyterhub/k8s-singleuser|code-server|sagemaker-distribution|"
    r"kubeflownotebookswg)",
    re.I,
)
_SHARED_VOLUMES = ("persistentVolumeClaim", "hostPath", "nfs", "csi", "cephfs", "glusterfs")


def _notebook_workloads(inventory: Inventory) -> list[Workload]:
    out = []
    for workload in workloads(inventory):
        main = [c for c in workload.containers if not c.init]
        if workload.obj.kind == "Notebook" or any(_NOTEBOOK_IMAGE.search(c.image) for c in main):
            out.append(workload)
    return out


def _kubeflow_notebooks(inventory: Inventory) -> list[Workload]:
    from mlsvs.checks.platform._workloads import Container

    out = []
    for obj in inventory.objects("Notebook"):
        pod = mapping(mapping(mapping(obj.doc.get("spec")).get("template")).get("spec"))
        containers = tuple(
            Container(name=str(mapping(c).get("name", "")), spec=mapping(c), init=False)
            for c in items(pod.get("containers"))
        )
        out.append(
            Workload(obj=obj, pod=pod, pod_labels=obj.labels, role="other", containers=containers)
        )
    return out


def _holdings(workload: Workload, inventory: Inventory) -> list[str]:
    held = []
    for container in workload.containers:
        for entry in items(container.spec.get("env")):
            env = mapping(entry)
            name = str(env.get("name", ""))
            if mapping(env.get("valueFrom")).get("secretKeyRef") or (
                credential_name(name) and "value" in env
            ):
                held.append(f"credential {name}")
        if any(mapping(e).get("secretRef") for e in items(container.spec.get("envFrom"))):
            held.append("a Secret as environment")
    if identity := workload_identity(workload, inventory):
        held.append(identity)
    for name, volume in workload.volumes.items():
        kinds = [k for k in _SHARED_VOLUMES if k in volume]
        if kinds:
            held.append(f"shared volume {name} ({kinds[0]})")
        if "secret" in volume:
            held.append(f"secret volume {name}")
    return held


@check(
    id="MLC818",
    title="Internet-facing notebook servers hold no credentials or shared data mounts",
    requirements=["M3.3.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Open third-party models in a quarantine workspace: notebooks that can reach "
    "model hubs get no secrets, no workload identity and no shared data volumes; notebooks "
    "with production access get a default-deny egress policy (SageMaker: "
    'direct_internet_access = "Disabled", a narrowly scoped role).',
)
def notebooks_isolated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No notebook server can both fetch from the internet and hold credentials or shared data."""
    inventory = load(project, (Source.KUBERNETES, Source.TERRAFORM))
    yield from unread_outcomes(inventory, "notebook isolation")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest or Terraform", "how notebook servers are isolated")
        return
    judged = 0
    for workload in _notebook_workloads(inventory) + _kubeflow_notebooks(inventory):
        judged += 1
        policies, _ = egress_policies(inventory, workload)
        held = _holdings(workload, inventory)
        ref = workload.ref
        if held and not policies:
            yield failed(
                f"{ref}: can reach model hubs (no egress policy) and holds {', '.join(held)}",
                key=ref,
            )
        else:
            why = "egress restricted" if policies else "no credentials or shared data"
            yield passed(f"{ref}: {why}", key=ref)
    instances = inventory.resources("aws_sagemaker_notebook_instance")
    if instances:
        grants, _, _ = analyse(inventory)
        for nb in instances:
            judged += 1
            where = f"{nb.address} ({nb.path})"
            internet = str(nb.body.get("direct_internet_access", "Enabled")) != "Disabled"
            role = str(nb.body.get("role_arn", ""))
            broad = [g for g in grants if g.holder and g.holder.split(".")[-1] in role]
            root = str(nb.body.get("root_access", "Enabled")) != "Disabled"
            if internet and (broad or root):
                held = [f"{g.what} via {g.where}" for g in broad] + (
                    ["root access"] if root else []
                )
                yield failed(
                    f"{where}: direct internet access with {', '.join(held)}", key=nb.address
                )
            else:
                yield passed(
                    f"{where}: "
                    + (
                        "no direct internet access"
                        if not internet
                        else "no broad role grant and no root access"
                    ),
                    key=nb.address,
                )
    if not judged and not inventory.gaps:
        yield not_applicable(f"no notebook server in {names(inventory.files)}")
