"""MLOps services not reachable from the internet (MLC1000, M9.2.4), from the infrastructure
files that would expose them.

MLOps services are recognised by their image (MLflow, Jupyter, Kubeflow, Airflow, Ray,
TensorBoard, Label Studio, Argo Workflows UI), by the KubeRay kinds, and in Terraform by the
managed services (Azure ML workspaces, SageMaker Studio domains, MWAA Airflow). A service is
exposed when:

* Kubernetes: a ``LoadBalancer`` or ``NodePort`` Service selects its pods (an internal load
  balancer by the AWS, GKE or Azure annotation, or source ranges that are all private, is not
  exposure), an Ingress routes to such a Service (unless its source allow-list is private),
  the pod uses ``hostNetwork``/``hostPort``, or a RayCluster/RayService head uses a
  ``LoadBalancer``/``NodePort`` service type;
* compose: a port is published without a loopback or private host address, or the service
  uses ``network_mode: host``;
* Terraform: a security group admits ``0.0.0.0/0`` or ``::/0`` to a service port (MLflow 5000,
  Jupyter 8888, Ray dashboard 8265 and client 10001, TensorBoard 6006, Airflow 8080), an Azure ML
  workspace leaves public network access on (the provider's default), a SageMaker domain uses
  ``PublicInternetOnly`` (the default), or an MWAA environment's web server is ``PUBLIC_ONLY``.

The requirement's method is an external scan; what the files show is the configuration that
decides it (a service started outside these files is unseen, so a project whose files run no
such service is not verified unless the configuration declares ``mlops.services = []``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    is_false,
    names,
    nothing_found,
    remote_module_outcome,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import Source, block, items, load, mapping
from mlsvs.checks.platform._workloads import workloads
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.checks.platform._sources import Inventory, KubeObject
    from mlsvs.checks.platform._workloads import Workload
    from mlsvs.plugin import CheckContext, Outcome

MLOPS_IMAGE = re.compile(
    r"(^|/)(mlflow|[\w-]*jupyter[\w-]*|[\w-]*-notebook|jupyterhub|k8s-hub|kubeflow|ml-pipeline|"
    r"kfp-[\w-]+|airflow|ray|ray-ml|tensorboard|label-studio|argocli|workflow-controller|"
    r"zenml-server|clearml-[\w-]+|wandb-local|metaflow-[\w-]+)(:|@|$)",
    re.I,
)
MLOPS_PORTS = frozenset({5000, 8888, 8265, 10001, 6006, 8080})
RAY_KINDS = frozenset({"RayCluster", "RayService"})
_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "networking.gke.io/load-balancer-type": {"internal"},
    "cloud.google.com/load-balancer-type": {"internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
    "service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
}
_ALLOW_LIST = (
    "nginx.ingress.kubernetes.io/whitelist-source-range",
    "nginx.ingress.kubernetes.io/allowlist-source-range",
    "alb.ingress.kubernetes.io/inbound-cidrs",
)
_ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
_OPEN = {"0.0.0.0/0", "::/0"}


def _private(ranges: list[str]) -> bool:
    """Every range is private (RFC 1918, ULA, loopback); an empty list is not."""
    if not ranges:
        return False
    try:
        return all(ipaddress.ip_network(r.strip(), strict=False).is_private for r in ranges)
    except ValueError:
        return False


def _is_mlops(workload: Workload) -> bool:
    return any(MLOPS_IMAGE.search(c.image) for c in workload.containers if not c.init)


def _selects(selector: Mapping[str, object], labels: Mapping[str, object]) -> bool:
    return bool(selector) and all(str(labels.get(k)) == str(v) for k, v in selector.items())


def _annotations(obj: KubeObject) -> dict[str, str]:
    meta = mapping(obj.doc.get("metadata"))
    return {k: str(v).strip().lower() for k, v in mapping(meta.get("annotations")).items()}


def _internal_service(obj: KubeObject) -> bool:
    notes = _annotations(obj)
    if any(notes.get(k) in v for k, v in _INTERNAL_LB.items()):
        return True
    ranges = [str(r) for r in items(mapping(obj.doc.get("spec")).get("loadBalancerSourceRanges"))]
    return _private(ranges)


def _kube(inventory: Inventory) -> tuple[list[Outcome], int]:
    out: list[Outcome] = []
    mlops = [w for w in workloads(inventory) if _is_mlops(w)]
    services = inventory.objects("Service")
    by_service: dict[tuple[str, str], list[Workload]] = {}
    for svc in services:
        selector = mapping(mapping(svc.doc.get("spec")).get("selector"))
        hit = [
            w for w in mlops if w.namespace == svc.namespace and _selects(selector, w.pod_labels)
        ]
        if hit:
            by_service[(svc.namespace, svc.name)] = hit
    exposed: dict[str, list[str]] = {w.ref: [] for w in mlops}
    for svc in services:
        targets = by_service.get((svc.namespace, svc.name), [])
        kind = str(mapping(svc.doc.get("spec")).get("type", "ClusterIP"))
        if targets and kind in {"LoadBalancer", "NodePort"} and not _internal_service(svc):
            for w in targets:
                exposed[w.ref].append(f"{kind} Service {svc.name}")
    for ing in inventory.objects("Ingress"):
        notes = _annotations(ing)
        allow = [r for k in _ALLOW_LIST for r in notes.get(k, "").split(",") if r.strip()]
        if _private(allow) or notes.get(_ALB_SCHEME) == "internal":
            continue
        for backend in _ingress_backends(ing):
            for w in by_service.get((ing.namespace, backend), []):
                exposed[w.ref].append(f"Ingress {ing.name} -> {backend}")
    for w in mlops:
        if w.pod.get("hostNetwork") is True:
            exposed[w.ref].append("hostNetwork")
        for c in w.containers:
            for port in items(c.spec.get("ports")):
                if mapping(port).get("hostPort"):
                    exposed[w.ref].append(f"hostPort {mapping(port).get('hostPort')}")
    for w in mlops:
        if exposed[w.ref]:
            out.append(
                failed(f"{w.ref} is reachable from outside: {', '.join(exposed[w.ref])}", key=w.ref)
            )
        else:
            out.append(passed(f"{w.ref}: only cluster-internal services reach it", key=w.ref))
    for ray in inventory.objects(*RAY_KINDS):
        spec = mapping(ray.doc.get("spec"))
        cluster = mapping(spec.get("rayClusterConfig")) if ray.kind == "RayService" else spec
        head = mapping(cluster.get("headGroupSpec"))
        kind = str(head.get("serviceType", "ClusterIP"))
        if kind in {"LoadBalancer", "NodePort"}:
            out.append(
                failed(
                    f"{ray.ref}: the Ray head (dashboard 8265) has a {kind} service", key=ray.ref
                )
            )
        else:
            out.append(passed(f"{ray.ref}: Ray head service {kind}", key=ray.ref))
    return out, len(mlops) + len(inventory.objects(*RAY_KINDS))


def _ingress_backends(ing: KubeObject) -> set[str]:
    spec = mapping(ing.doc.get("spec"))
    found: set[str] = set()
    default = mapping(mapping(spec.get("defaultBackend")).get("service")).get("name")
    if default:
        found.add(str(default))
    for rule in items(spec.get("rules")):
        for path in items(mapping(mapping(rule).get("http")).get("paths")):
            name = mapping(mapping(mapping(path).get("backend")).get("service")).get("name")
            legacy = mapping(mapping(path).get("backend")).get("serviceName")
            found.update(str(n) for n in (name, legacy) if n)
    return found


def _published(port: object) -> str:
    """The host address a compose port is published on. Every ``ports`` entry is published:
    a bare container port (``5000``, ``target: 5000``) gets a random host port on all
    interfaces."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "0.0.0.0"))  # noqa: S104 - compose's default
    text = str(port).split("/")[0]
    if text.startswith("["):  # [::1]:5000:5000
        return text[1:].partition("]")[0]
    parts = text.split(":")
    return parts[0] if len(parts) == 3 else "0.0.0.0"  # noqa: S104


def _compose(inventory: Inventory) -> tuple[list[Outcome], int]:
    out: list[Outcome] = []
    count = 0
    for svc in inventory.compose:
        if not MLOPS_IMAGE.search(str(svc.body.get("image", ""))):
            continue
        count += 1
        ref = f"{svc.path}: service {svc.name}"
        problems = []
        if str(svc.body.get("network_mode", "")) == "host":
            problems.append("network_mode host")
        for port in items(svc.body.get("ports")):
            host = _published(port)
            try:
                private = ipaddress.ip_address(host).is_private and host not in {"0.0.0.0", "::"}  # noqa: S104
            except ValueError:
                private = False
            if not private:
                problems.append(f"port {port} published on {host or '?'}")
        if problems:
            out.append(failed(f"{ref} ({svc.body.get('image')}): {'; '.join(problems)}", key=ref))
        else:
            out.append(passed(f"{ref}: no port published beyond loopback", key=ref))
    return out, count


def _ports(rule: Mapping[str, object]) -> set[int] | None:
    """The MLOps ports a rule opens (None when its ports are expressions)."""
    low, high = rule.get("from_port"), rule.get("to_port")
    if expression(low) or expression(high):
        return None
    try:
        first, last = int(str(low)), int(str(high))
    except ValueError:
        return None
    if str(rule.get("protocol", "tcp")) in {"-1", "all"}:
        first, last = 0, 65535
    return {p for p in MLOPS_PORTS if first <= p <= last} if last >= first else set()


def _open_cidrs(rule: Mapping[str, object]) -> bool:
    cidrs = [str(c) for k in ("cidr_blocks", "ipv6_cidr_blocks") for c in items(rule.get(k))]
    cidrs += [str(rule.get(k)) for k in ("cidr_ipv4", "cidr_ipv6") if rule.get(k)]
    return any(c in _OPEN for c in cidrs)


def _terraform(inventory: Inventory) -> tuple[list[Outcome], int, list[Gap]]:
    out: list[Outcome] = []
    gaps: list[Gap] = []
    count = 0
    rules: list[tuple[str, str, Mapping[str, object]]] = []
    for sg in inventory.resources("aws_security_group"):
        rules += [(sg.address, sg.path, r) for r in block(sg.body, "ingress")]
    for res in inventory.resources("aws_security_group_rule"):
        if str(res.body.get("type")) == "ingress":
            rules.append((res.address, res.path, res.body))
    rules += [
        (res.address, res.path, res.body)
        for res in inventory.resources("aws_vpc_security_group_ingress_rule")
    ]
    for address, path, body in rules:
        if not _open_cidrs(body):
            continue
        ports = _ports(body)
        if ports is None:
            gaps.append(
                Gap(
                    item=f"{path}: {address}",
                    reason=GapReason.UNSUPPORTED,
                    detail="ports set by an expression on a rule open to the internet",
                )
            )
        elif ports:
            out.append(
                failed(
                    f"{address} ({path}) admits the internet to MLOps port(s) "
                    f"{', '.join(map(str, sorted(ports)))}",
                    key=address,
                )
            )
    for ws in inventory.resources("azurerm_machine_learning_workspace"):
        count += 1
        where = f"{ws.address} ({ws.path})"
        if is_false(ws.body.get("public_network_access_enabled")):
            out.append(passed(f"{where}: public network access disabled", key=ws.address))
        else:
            out.append(
                failed(f"{where}: public network access is on (the default)", key=ws.address)
            )
    for domain in inventory.resources("aws_sagemaker_domain"):
        count += 1
        mode = str(domain.body.get("app_network_access_type", "PublicInternetOnly"))
        where = f"{domain.address} ({domain.path})"
        if mode == "VpcOnly":
            out.append(passed(f"{where}: Studio apps are VPC only", key=domain.address))
        else:
            out.append(failed(f"{where}: app_network_access_type {mode}", key=domain.address))
    for env in inventory.resources("aws_mwaa_environment"):
        count += 1
        mode = str(env.body.get("webserver_access_mode", "PRIVATE_ONLY"))
        where = f"{env.address} ({env.path})"
        if mode == "PUBLIC_ONLY":
            out.append(failed(f"{where}: the Airflow web server is PUBLIC_ONLY", key=env.address))
        else:
            out.append(passed(f"{where}: Airflow web server {mode}", key=env.address))
    return out, count, gaps


@check(
    id="MLC1000",
    title="MLOps services in the infrastructure files are not exposed to the internet",
    requirements=["M9.2.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Serve MLflow, notebooks, Ray, Kubeflow and Airflow on ClusterIP services or "
    "internal load balancers, publish compose ports on 127.0.0.1 only, close 0.0.0.0/0 to "
    "their ports, disable public network access of managed ML workspaces, and reach them "
    "through a VPN or identity-aware proxy.",
)
def mlops_not_internet_exposed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No MLOps service is reachable from outside the cluster, host or network.

    No load balancer, node port, ingress, host port, published compose port, open security
    group or public managed workspace puts one on the internet.
    """
    inventory = load(project, (Source.KUBERNETES, Source.COMPOSE, Source.TERRAFORM))
    yield from unread_outcomes(inventory, "internet exposure of MLOps services")
    yield from remote_module_outcome(inventory, "internet exposure of MLOps services")
    if not inventory.files:
        yield nothing_found("Kubernetes, compose or Terraform file", "where MLOps services run")
        return
    kube, n_kube = _kube(inventory)
    compose, n_compose = _compose(inventory)
    tf, n_tf, gaps = _terraform(inventory)
    yield from (*kube, *compose, *tf)
    if gaps:
        yield not_verified(
            "security-group rules open to the internet whose ports are expressions",
            gaps,
            key="expression-ports",
        )
    if n_kube + n_compose + n_tf or tf or inventory.gaps:
        return
    declared = ctx.section("mlops")
    if isinstance(declared.get("services"), list) and not declared["services"]:
        yield not_applicable(
            f"no MLOps service in {names(inventory.files)} and the configuration declares "
            "none (mlops.services = [])"
        )
        return
    yield abstained(
        f"no MLOps service in {names(inventory.files)}: tracking servers, notebooks or "
        "dashboards run elsewhere are unseen; declare mlops.services = [] when the system runs "
        "none, or attest an external scan",
        key="no-mlops-service",
    )
