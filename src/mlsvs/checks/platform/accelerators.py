"""Accelerator drivers pinned in the infrastructure (MLC836, M9.1.5).

Driver versions are declared by the NVIDIA GPU Operator's ``ClusterPolicy`` (``spec.driver``),
by EKS GPU node groups (the AMI ``release_version`` fixes the driver) and by GKE node pools
(``gpu_driver_installation_config``). A driver left to "latest" (no version, ``LATEST``, an
unpinned AMI release) fails. A pinned driver still cannot pass: NVIDIA's security bulletins
are not in the advisory data mlsvs reads, and firmware versions are not in IaC, so both stay
named gaps until a node inventory with advisory status is supplied.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, block, items, load, mapping
from mlsvs.checks.platform._workloads import workloads
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
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

_DRIVER_VERSION = re.compile(r"^\d{3}\.\d+(\.\d+)?$")
_GPU_RESOURCE = re.compile(
    r"^(nvidia\.com/gpu|amd\.com/gpu|nvidia\.com/mig-.*|aws\.amazon\.com/neuron.*)$"
)


def _gpu_workloads(inventory: Inventory) -> list[str]:
    out = []
    for workload in workloads(inventory):
        for container in workload.containers:
            resources = mapping(container.spec.get("resources"))
            asked = set(mapping(resources.get("limits"))) | set(mapping(resources.get("requests")))
            if any(_GPU_RESOURCE.match(r) for r in asked):
                out.append(workload.ref)
                break
    return out


def _drivers(inventory: Inventory) -> tuple[list[str], list[str]]:
    """(pinned driver declarations, unpinned ones) found in the inventory."""
    pinned, unpinned = [], []
    for policy in inventory.objects("ClusterPolicy"):
        if not policy.api_version.startswith("nvidia.com/"):
            continue
        driver = mapping(mapping(policy.doc.get("spec")).get("driver"))
        if driver.get("enabled") is False:
            continue
        version = str(driver.get("version", ""))
        where = f"{policy.ref} spec.driver"
        if _DRIVER_VERSION.match(version.split("-", maxsplit=1)[0]):
            pinned.append(f"{where} {version}")
        else:
            unpinned.append(f"{where}: version {version or 'not set'}")
    for group in inventory.resources("aws_eks_node_group"):
        ami = str(group.body.get("ami_type", ""))
        if "GPU" not in ami.upper() and "NVIDIA" not in ami.upper():
            continue
        release = group.body.get("release_version")
        where = f"{group.address} ({group.path}) {ami}"
        if isinstance(release, str) and release and "${" not in release:
            pinned.append(f"{where} release {release}")
        else:
            unpinned.append(f"{where}: release_version not pinned (latest AMI, latest driver)")
    for pool in inventory.resources("google_container_node_pool"):
        for config in block(pool.body, "node_config"):
            for accel in block(config, "guest_accelerator"):
                install = list(items(accel.get("gpu_driver_installation_config")))
                version = str(mapping(install[0]).get("gpu_driver_version", "")) if install else ""
                where = f"{pool.address} ({pool.path}) {accel.get('type', 'gpu')}"
                if version == "LATEST" or not version:
                    unpinned.append(f"{where}: gpu_driver_version {version or 'not set'}")
                else:
                    pinned.append(f"{where} gpu_driver_version {version}")
    return pinned, unpinned


@check(
    id="MLC836",
    title="Accelerator drivers are pinned to exact versions",
    requirements=["M9.1.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Pin the GPU driver: ClusterPolicy spec.driver.version, an EKS node group "
    "release_version, a GKE gpu_driver_version other than LATEST; keep a node inventory of "
    "driver and firmware versions checked against the vendor's bulletins.",
)
def accelerator_drivers_pinned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every accelerator driver the infrastructure declares is pinned; GPU workloads without a
    declared driver, and the advisory and firmware clauses, stay not verified."""
    inventory = load(project, (Source.KUBERNETES, Source.TERRAFORM))
    yield from unread_outcomes(inventory, "accelerator drivers")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest or Terraform", "accelerator driver versions")
        return
    pinned, unpinned = _drivers(inventory)
    gpu = _gpu_workloads(inventory)
    for declaration in unpinned:
        yield failed(declaration, key=declaration)
    if not pinned and not unpinned:
        if gpu:
            yield not_verified(
                f"{len(gpu)} workload(s) request accelerators ({names(gpu, 4)}) but no driver "
                "configuration is in the project",
                Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no accelerator driver config"),
                key="drivers",
            )
        elif not inventory.gaps:
            yield not_applicable(
                "no accelerator node pool, driver policy or GPU workload in "
                + names(inventory.files)
            )
        return
    if pinned:
        yield not_verified(
            f"pinned: {names(pinned, 4)}; driver advisories (vendor bulletins) and firmware "
            "versions are not in the data mlsvs reads",
            [
                Gap(
                    item=p,
                    reason=GapReason.OUTSIDE_DATABASE,
                    detail="no advisory data for accelerator drivers or firmware",
                )
                for p in pinned
            ],
            key="advisories",
        )
