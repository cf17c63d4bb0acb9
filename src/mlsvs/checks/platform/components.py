"""ML platform components deployed by the project run versions without known advisories
(MLC835, M9.2.2).

Components are recognised where they are deployed: container images in Kubernetes manifests,
compose files and Dockerfile ``FROM`` lines (``ghcr.io/mlflow/mlflow:v2.9.2``), and
``pip install name==version`` in Dockerfile ``RUN`` lines. Each known image maps to the PyPI
package whose releases it ships, and the version comes from the tag; the version is then
matched against the same advisory databases as M3.2.3 (the bundled floor plus the OSV
snapshot), so "no known vulnerability" needs a complete snapshot no older than the
standard's ``max_advisory_age_days``. A mutable or missing tag, a digest-only reference or a
component with no PyPI advisories (Triton, TGI) cannot be judged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, load
from mlsvs.checks.platform._workloads import workloads
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)
from mlsvs.supply.errors import AdvisoryError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

# Image repository (without registry host and tag) -> the PyPI package it ships; "" where the
# component has no PyPI release to match (its advisories are not in the PyPI data).
_IMAGES: dict[str, str] = {
    "mlflow/mlflow": "mlflow",
    "bitnami/mlflow": "mlflow",
    "rayproject/ray": "ray",
    "rayproject/ray-ml": "ray",
    "pytorch/torchserve": "torchserve",
    "pytorch/torchserve-kfs": "torchserve",
    "seldonio/mlserver": "mlserver",
    "bentoml/bentoml": "bentoml",
    "apache/airflow": "apache-airflow",
    "prefecthq/prefect": "prefect",
    "dagster/dagster-k8s": "dagster",
    "feastdev/feature-server": "feast",
    "heartexlabs/label-studio": "label-studio",
    "vllm/vllm-openai": "vllm",
    "zenmldocker/zenml-server": "zenml",
    "allegroai/clearml": "clearml",
    "kserve/kserve-controller": "kserve",
    "kserve/sklearnserver": "kserve",
    "kserve/xgbserver": "kserve",
    "jupyterhub/k8s-hub": "jupyterhub",
    "nvidia/tritonserver": "",
    "huggingface/text-generation-inference": "",
    "tensorflow/serving": "",
    "jupyter/base-notebook": "",
    "jupyter/scipy-notebook": "",
    "jupyter/datascience-notebook": "",
    "jupyter/pytorch-notebook": "",
    "kubeflow/pipelines": "",
}
# pip packages that are platform components when installed into an image.
_PACKAGES = frozenset(v for v in _IMAGES.values() if v) | {
    "jupyterlab",
    "notebook",
    "jupyter-server",
    "tritonclient",
    "kfp",
    "wandb",
    "gradio",
    "streamlit",
    "litserve",
    "text-generation",
    "ray[serve]",
}
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){1,3}(?:(?:a|b|rc|\.post|\.dev)\d+)?)")
_PIP = re.compile(r"(?<![\w-])([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([0-9][\w.+!-]*)")
MAX_AGE_PARAMETER = "M9.2.2.max_advisory_age_days"


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    """One deployed platform component."""

    name: str
    """PyPI package name ('' when it has no PyPI release)."""
    reference: str
    """The image reference or ``pip install`` pin as written."""
    where: str
    version: str | None
    why_unknown: str = ""


def split_image(image: str) -> tuple[str, str, str]:
    """``(repository without host, tag, digest)`` of an image reference."""
    rest, _, digest = image.partition("@")
    last = rest.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        rest, tag = rest.rsplit(":", 1)
    parts = rest.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) == 1:
        parts = ["library", *parts]
    return "/".join(parts), tag, digest


def image_component(image: str, where: str) -> Component | None:
    """The platform component an image reference deploys, None when it is not one."""
    repository, tag, digest = split_image(image)
    key = repository
    if key not in _IMAGES:
        key = "/".join(repository.split("/")[-2:])
    if key not in _IMAGES:
        return None
    package = _IMAGES[key]
    if not tag or tag == "latest":
        why = "digest only: the version cannot be read" if digest else "no tag or 'latest'"
        return Component(name=package, reference=image, where=where, version=None, why_unknown=why)
    match = _VERSION.match(tag)
    if match is None:
        return Component(
            name=package,
            reference=image,
            where=where,
            version=None,
            why_unknown=f"tag {tag!r} names no version",
        )
    return Component(name=package, reference=image, where=where, version=match.group(1))


def components(inventory: Inventory) -> list[Component]:
    """Every platform component the inventory deploys."""
    found: list[Component] = []
    found.extend(
        c
        for workload in workloads(inventory)
        for container in workload.containers
        if (c := image_component(container.image, workload.ref)) is not None
    )
    for service in inventory.compose:
        image = str(service.body.get("image", ""))
        if image and (c := image_component(image, f"{service.path}: {service.name}")) is not None:
            found.append(c)
    for dockerfile in inventory.dockerfiles:
        for ins in dockerfile.instructions:
            where = f"{dockerfile.path}:{ins.line}"
            if ins.instruction == "FROM":
                image = ins.value.split()[0] if ins.value.split() else ""
                if (c := image_component(image, where)) is not None:
                    found.append(c)
            elif ins.instruction == "RUN" and re.search(
                r"\bpip3?\s+install\b|\buv\s+pip\s+install\b", ins.value
            ):
                for name, version in _PIP.findall(ins.value):
                    canonical = re.sub(r"[-_.]+", "-", name).lower()
                    if canonical in _PACKAGES:
                        found.append(
                            Component(
                                name=canonical,
                                reference=f"{name}=={version}",
                                where=where,
                                version=version,
                            )
                        )
    return found


def _max_age(ctx: CheckContext) -> float:
    limit: object = ctx.parameter(MAX_AGE_PARAMETER, 7)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        return 7.0
    return float(limit)


@check(
    id="MLC835",
    title="Deployed ML platform components run versions without known advisories",
    requirements=["M9.2.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[DeploymentConfig],
    remediation="Deploy trackers, registries, model servers, notebooks and orchestrators by an "
    "exact version tag (never 'latest'), upgrade versions with advisories, and keep a current "
    "OSV snapshot ('mlsvs advisories update').",
)
def platform_components_patched(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every ML platform component in the deployment files has a known, unaffected version.

    MLflow, Ray, TorchServe, MLServer, BentoML, Airflow, Prefect, Feast, Label Studio, vLLM,
    KServe, JupyterHub images (and these packages pip-installed in a Dockerfile) are matched
    against the advisory databases; a complete snapshot no older than
    ``max_advisory_age_days`` must vouch for the rest.
    """
    from mlsvs.supply.advisories import cache_dir, load_databases, parse_settings
    from mlsvs.supply.audit import audit
    from mlsvs.supply.deps import Dependency

    inventory = load(project, (Source.KUBERNETES, Source.COMPOSE, Source.DOCKERFILE))
    yield from unread_outcomes(inventory, "platform component versions")
    if not inventory.files:
        yield nothing_found(
            "Kubernetes manifest, compose file or Dockerfile",
            "which platform versions are deployed",
        )
        return
    found = components(inventory)
    if not found:
        if not inventory.gaps:
            yield not_applicable(
                f"{names(inventory.files)} deploy no known ML platform component (tracker, "
                "registry, model server, notebook server, orchestrator); the project's own "
                "dependencies are judged by M3.2.3"
            )
        return
    unknown = [c for c in found if c.version is None]
    for c in unknown:
        yield failed(
            f"{c.where}: {c.reference}: {c.why_unknown}, so the deployed version is not pinned",
            key=f"{c.where}:{c.reference}",
            facts=(("component", c.name or c.reference), ("reference", c.reference)),
        )
    outside = [c for c in found if c.version is not None and not c.name]
    if outside:
        yield not_verified(
            f"{len(outside)} component(s) have no PyPI advisory data to match: "
            + names(c.reference for c in outside),
            [
                Gap(
                    item=c.reference,
                    reason=GapReason.OUTSIDE_DATABASE,
                    detail="no PyPI release; vendor advisories not loaded",
                )
                for c in outside
            ],
            key="outside-database",
        )
    judged = [c for c in found if c.version is not None and c.name]
    if not judged:
        return
    try:
        settings = parse_settings(ctx.section("advisories"), root=project.root)
        databases = load_databases(
            osv=settings.osv,
            cache=cache_dir() if settings.use_cache else None,
            packages=frozenset(c.name for c in judged),
        )
    except AdvisoryError as exc:
        yield errored(f"advisory database unusable: {exc}", key="databases")
        return
    deps = [Dependency(name=c.name, source=c.where, version=c.version) for c in judged]
    now = dt.datetime.combine(ctx.today, dt.time(23, 59, 59), tzinfo=dt.UTC)
    result = audit(deps, databases, now=now, max_age_days=_max_age(ctx))
    db_facts = tuple(f for db in databases for f in db.facts())
    for hit in result.hits:
        summaries = "; ".join(f"{a.id}: {a.summary}" for _, a in hit.advisories[:3])
        yield failed(
            f"{hit.name} {hit.version} ({', '.join(hit.sources)}) has known vulnerabilities: "
            f"{summaries}",
            key=f"{hit.name}=={hit.version}",
            facts=(
                ("advisories", ",".join(hit.ids)),
                ("package", hit.name),
                ("version", hit.version),
                *db_facts,
            ),
        )
    uncovered = [*result.not_covered, *result.undecidable]
    if uncovered:
        why = "; ".join(result.stale) or "no current OSV snapshot (the bundled floor never passes)"
        yield not_verified(
            f"no current, complete advisory data for {', '.join(uncovered)} ({why}); run "
            "'mlsvs advisories update'",
            [Gap(item=u, reason=GapReason.OUTSIDE_DATABASE, detail=why[:300]) for u in uncovered],
            key="coverage",
            facts=db_facts,
        )
    if result.verified_clean:
        dbs = ", ".join(f"{db.name} {db.date}" for db in databases if db.complete)
        yield passed(
            f"{result.checked} platform component version(s) have no known vulnerability "
            f"({dbs}): " + names(f"{c.name} {c.version}" for c in judged),
            key="audit",
            facts=db_facts,
        )
