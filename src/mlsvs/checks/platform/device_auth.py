"""Devices authenticate to the model distribution service (MLC1006, M8.5.9): mutual TLS on
the endpoints that serve model packages, from Kubernetes and Terraform.

A distribution endpoint is an object labelled or annotated ``mlsvs.io/role:
model-distribution``, or one whose name or host names model delivery (``model-distribution``,
``model-updates``, ``model-download``, ``models-cdn``, ``ota``). Each must use TLS and require a
verified client certificate:

* Kubernetes Ingress (ingress-nginx): a ``tls`` section and ``auth-tls-verify-client: "on"``
  with an ``auth-tls-secret`` (``optional``/``optional_no_ca`` let devices without a
  certificate through);
* Istio Gateway: every server on the host has ``tls.mode: MUTUAL`` (``SIMPLE`` is server TLS
  only; a plain HTTP server fails);
* Terraform: ``aws_lb_listener`` with protocol ``HTTPS`` and ``mutual_authentication { mode =
  "verify" }``; API Gateway domain names with a ``mutual_tls_authentication`` trust store;
  Azure web apps with ``client_certificate_enabled`` and mode ``Required``.

The requirement's method is a test against the running service; these files are the
configuration that decides it. An edge project whose files show no distribution endpoint is
not verified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    nothing_found,
    remote_module_outcome,
    truthy,
    unread_outcomes,
)
from mlsvs.checks.platform._sources import Source, block, items, load, mapping
from mlsvs.plugin import (
    DeploymentConfig,
    Project,
    Severity,
    abstained,
    check,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory, KubeObject, TfBlock
    from mlsvs.plugin import CheckContext, Outcome

ROLE = "model-distribution"
_NAMED = re.compile(
    r"(^|[-_.])(models?[-_.]?(distribution|updates?|downloads?|delivery|cdn|dist)|ota)([-_.]|$)",
    re.I,
)
_NGINX = "nginx.ingress.kubernetes.io/"


def _kube_marked(obj: KubeObject, hosts: list[str]) -> bool:
    meta = mapping(obj.doc.get("metadata"))
    for source in (mapping(meta.get("labels")), mapping(meta.get("annotations"))):
        if str(source.get("mlsvs.io/role", "")) == ROLE:
            return True
    return any(_NAMED.search(n) for n in [obj.name, *hosts])


def _ingress(obj: KubeObject) -> Outcome | None:
    spec = mapping(obj.doc.get("spec"))
    hosts = [str(mapping(r).get("host", "")) for r in items(spec.get("rules"))]
    if not _kube_marked(obj, hosts):
        return None
    notes = {
        k: str(v).strip()
        for k, v in mapping(mapping(obj.doc.get("metadata")).get("annotations")).items()
    }
    problems = []
    if not items(spec.get("tls")):
        problems.append("no tls section (downloads over plain HTTP)")
    verify = notes.get(f"{_NGINX}auth-tls-verify-client", "")
    if verify.lower() != "on":
        problems.append(f"auth-tls-verify-client is {verify or 'unset'}, not 'on'")
    if not notes.get(f"{_NGINX}auth-tls-secret"):
        problems.append("no auth-tls-secret (CA for device certificates)")
    if problems:
        return failed(f"{obj.ref}: " + "; ".join(problems), key=obj.ref)
    return passed(
        f"{obj.ref}: TLS with verified device certificates "
        f"(CA {notes[f'{_NGINX}auth-tls-secret']})",
        key=obj.ref,
    )


def _gateway(obj: KubeObject) -> Outcome | None:
    servers = [mapping(s) for s in items(mapping(obj.doc.get("spec")).get("servers"))]
    hosts = [str(h) for s in servers for h in items(s.get("hosts"))]
    if not _kube_marked(obj, hosts):
        return None
    problems = []
    for server in servers:
        port = mapping(server.get("port"))
        mode = str(mapping(server.get("tls")).get("mode", "")) or "none"
        if mode != "MUTUAL":
            problems.append(f"server {port.get('name') or port.get('number')} TLS mode {mode}")
    if problems or not servers:
        return failed(f"{obj.ref}: " + ("; ".join(problems) or "no servers"), key=obj.ref)
    return passed(f"{obj.ref}: every server requires client certificates (MUTUAL)", key=obj.ref)


def _tf_marked(res: TfBlock, *values: object) -> bool:
    tags = mapping(res.body.get("tags"))
    if str(tags.get("mlsvs.io/role", tags.get("role", ""))) == ROLE:
        return True
    return any(_NAMED.search(str(v)) for v in (res.name, *values) if v)


def _terraform(inventory: Inventory) -> list[Outcome]:
    out: list[Outcome] = []
    for res in inventory.resources("aws_lb_listener"):
        if not _tf_marked(res, res.body.get("load_balancer_arn")):
            continue
        where = f"{res.address} ({res.path})"
        problems = []
        if str(res.body.get("protocol", "HTTP")).upper() != "HTTPS":
            problems.append(f"protocol {res.body.get('protocol', 'HTTP')}")
        mtls = block(res.body, "mutual_authentication")
        mode = str(mtls[0].get("mode", "off")) if mtls else "off"
        if mode != "verify":
            problems.append(f"mutual_authentication mode {mode}, not verify")
        out.append(
            failed(f"{where}: " + "; ".join(problems), key=res.address)
            if problems
            else passed(f"{where}: HTTPS with verified client certificates", key=res.address)
        )
    for rtype in ("aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name"):
        for res in inventory.resources(rtype):
            if not _tf_marked(res, res.body.get("domain_name")):
                continue
            where = f"{res.address} ({res.path})"
            store = block(res.body, "mutual_tls_authentication")
            if store and store[0].get("truststore_uri"):
                out.append(
                    passed(
                        f"{where}: mutual TLS with trust store {store[0]['truststore_uri']}",
                        key=res.address,
                    )
                )
            else:
                out.append(
                    failed(f"{where}: no mutual_tls_authentication trust store", key=res.address)
                )
    for rtype in ("azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_app_service"):
        for res in inventory.resources(rtype):
            if not _tf_marked(res):
                continue
            where = f"{res.address} ({res.path})"
            mode = str(res.body.get("client_certificate_mode", "Required"))
            if truthy(res.body.get("client_certificate_enabled")) and mode == "Required":
                out.append(passed(f"{where}: client certificates required", key=res.address))
            else:
                out.append(
                    failed(
                        f"{where}: client certificates not required "
                        f"(enabled {res.body.get('client_certificate_enabled', False)}, "
                        f"mode {mode})",
                        key=res.address,
                    )
                )
    return out


@check(
    id="MLC1006",
    title="Model distribution endpoints require TLS with verified device certificates",
    requirements=["M8.5.9"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Serve model packages only over mutual TLS: ingress-nginx auth-tls-verify-client "
    "'on' with the device CA secret, Istio tls.mode MUTUAL, ALB mutual_authentication verify or "
    "an API Gateway trust store; label the endpoint mlsvs.io/role: model-distribution.",
)
def devices_authenticate(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Model distribution endpoints require TLS and a verified device certificate.

    Every such endpoint in the Kubernetes manifests and Terraform is judged.
    """
    inventory = load(project, (Source.KUBERNETES, Source.TERRAFORM))
    yield from unread_outcomes(inventory, "device authentication for model downloads")
    yield from remote_module_outcome(inventory, "device authentication for model downloads")
    if not inventory.files:
        yield nothing_found("Kubernetes or Terraform file", "how devices download models")
        return
    outcomes = [
        o
        for o in [
            *(_ingress(i) for i in inventory.objects("Ingress")),
            *(_gateway(g) for g in inventory.objects("Gateway") if "istio" in g.api_version),
        ]
        if o is not None
    ]
    outcomes += _terraform(inventory)
    yield from outcomes
    if not outcomes and not inventory.gaps:
        yield abstained(
            "no model distribution endpoint in the files (label it mlsvs.io/role: "
            "model-distribution): how devices authenticate to download models is not shown",
            key="no-endpoint",
        )
