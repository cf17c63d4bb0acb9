"""Workloads in Kubernetes manifests: their pod specs, containers and role.

A workload's role decides which requirements concern it: *training* (Jobs, CronJobs and the
Kubeflow/Ray training kinds), *serving* (long-running Deployments, StatefulSets, DaemonSets,
ReplicaSets, Pods and Argo Rollouts) or *other* (databases, caches, monitoring and MLOps
services recognised by their image, or anything labelled so). The label or annotation
``mlsvs.io/role`` (``serving``, ``training``, ``other``) overrides the guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._sources import KubeObject, items, mapping

if TYPE_CHECKING:
    from mlsvs.checks.platform._sources import Inventory

TRAINING_KINDS = frozenset(
    {
        "Job",
        "CronJob",
        "PyTorchJob",
        "TFJob",
        "MPIJob",
        "XGBoostJob",
        "PaddleJob",
        "TrainJob",
        "RayJob",
        "JAXJob",
    }
)
SERVING_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Pod",
        "Rollout",
        "ReplicationController",
    }
)
OTHER_IMAGES = re.compile(
    r"(^|/)(postgres|mysql|mariadb|redis|valkey|memcached|mongo|minio|rabbitmq|kafka|zookeeper|"
    r"prometheus|grafana|alertmanager|loki|fluent-?bit|fluentd|otel|jaeger|mlflow|jupyter|"
    r"airflow|argo|nginx|envoy|traefik|haproxy|busybox|curlimages)[^/]*(:|@|$)",
    re.I,
)
_OTHER_COMPONENTS = frozenset(
    {
        "database",
        "db",
        "cache",
        "queue",
        "monitoring",
        "metrics",
        "logging",
        "ingress",
        "proxy",
        "platform",
        "tracking",
        "notebook",
    }
)
ROLE_KEY = "mlsvs.io/role"


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    """One container (or init container) of a workload."""

    name: str
    spec: Mapping[str, object]
    init: bool

    @property
    def image(self) -> str:
        """The image reference as written."""
        return str(self.spec.get("image", ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """A Kubernetes object that runs pods."""

    obj: KubeObject
    pod: Mapping[str, object]
    """The pod spec."""
    pod_labels: Mapping[str, object]
    role: str
    containers: tuple[Container, ...]

    @property
    def ref(self) -> str:
        """``deploy/k8s.yaml: Deployment/scorer``."""
        return self.obj.ref

    @property
    def namespace(self) -> str:
        """The namespace written in the manifest ('' when none: the apply-time default)."""
        return self.obj.namespace

    @property
    def volumes(self) -> dict[str, Mapping[str, object]]:
        """Pod volumes by name."""
        return {str(mapping(v).get("name")): mapping(v) for v in items(self.pod.get("volumes"))}


def _templates(obj: KubeObject) -> list[Mapping[str, object]]:
    """The pod templates of an object (several for multi-role training jobs)."""
    spec = mapping(obj.doc.get("spec"))
    if obj.kind == "Pod":
        return [{"metadata": obj.doc.get("metadata"), "spec": spec}]
    if obj.kind == "CronJob":
        return [mapping(mapping(mapping(spec.get("jobTemplate")).get("spec")).get("template"))]
    if obj.kind in SERVING_KINDS or obj.kind == "Job":
        return [mapping(spec.get("template"))]
    out = []
    for key, value in spec.items():  # pytorchReplicaSpecs, tfReplicaSpecs, rayClusterSpec ...
        if key.endswith("ReplicaSpecs"):
            out += [mapping(mapping(r).get("template")) for r in mapping(value).values()]
    ray = mapping(spec.get("rayClusterSpec"))
    if ray:
        out.append(mapping(mapping(ray.get("headGroupSpec")).get("template")))
        out += [mapping(mapping(g).get("template")) for g in items(ray.get("workerGroupSpecs"))]
    return out


def _role(obj: KubeObject, pod_meta: Mapping[str, object], containers: list[Container]) -> str:
    meta = mapping(obj.doc.get("metadata"))
    for source in (
        mapping(meta.get("labels")),
        mapping(meta.get("annotations")),
        mapping(pod_meta.get("labels")),
        mapping(pod_meta.get("annotations")),
    ):
        declared = str(source.get(ROLE_KEY, "")).lower()
        if declared in {"serving", "training", "other"}:
            return declared
    component = str(
        mapping(meta.get("labels")).get("app.kubernetes.io/component", "")
        or mapping(pod_meta.get("labels")).get("app.kubernetes.io/component", "")
    ).lower()
    if component in _OTHER_COMPONENTS:
        return "other"
    if component in {"training", "trainer", "train"}:
        return "training"
    if obj.kind in TRAINING_KINDS:
        return "training"
    main = [c for c in containers if not c.init]
    if main and all(OTHER_IMAGES.search(c.image) for c in main):
        return "other"
    return "serving"


def workloads(inventory: Inventory) -> tuple[Workload, ...]:
    """Every pod-running object in the manifests."""
    out = []
    for obj in inventory.kube:
        if obj.kind not in SERVING_KINDS and obj.kind not in TRAINING_KINDS:
            continue
        for template in _templates(obj):
            pod = mapping(template.get("spec"))
            pod_meta = mapping(template.get("metadata"))
            containers = [
                Container(name=str(mapping(c).get("name", "")), spec=mapping(c), init=init)
                for key, init in (("initContainers", True), ("containers", False))
                for c in items(pod.get(key))
            ]
            out.append(
                Workload(
                    obj=obj,
                    pod=pod,
                    pod_labels=mapping(pod_meta.get("labels")),
                    role=_role(obj, pod_meta, containers),
                    containers=tuple(containers),
                )
            )
    return tuple(out)
