"""Devices authenticate to the model distribution service (MLC1006, M8.5.9)."""

from __future__ import annotations

from mlsvs.checks.platform.device_auth import devices_authenticate
from tests.platform.helpers import by_key, run, statuses, write

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: model-updates
  namespace: edge
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
{annotations}
spec:
  ingressClassName: nginx
{tls}
  rules:
    - host: updates.devices.example.com
      http:
        paths:
          - path: /v1/packages
            pathType: Prefix
            backend:
              service:
                name: package-server
                port:
                  number: 8080
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: website
  namespace: web
spec:
  ingressClassName: nginx
  rules:
    - host: www.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: site
                port:
                  number: 80
"""
MTLS = """    nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"
    nginx.ingress.kubernetes.io/auth-tls-secret: edge/device-ca
    nginx.ingress.kubernetes.io/auth-tls-verify-depth: "2"
"""
TLS = """  tls:
    - hosts: [updates.devices.example.com]
      secretName: updates-tls
"""

GATEWAY = """
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: fleet-gateway
  namespace: edge
  labels:
    mlsvs.io/role: model-distribution
spec:
  selector:
    istio: ingressgateway
  servers:
    - port: {number: 443, name: https, protocol: HTTPS}
      hosts: [fleet.example.com]
      tls:
        mode: MUTUAL
        credentialName: fleet-device-ca
{extra}
"""

ALB = """
resource "aws_lb" "model_distribution" {
  name               = "model-distribution"
  load_balancer_type = "application"
  subnets            = ["subnet-0a", "subnet-0b"]
}

resource "aws_lb_trust_store" "devices" {
  name                             = "device-ca"
  ca_certificates_bundle_s3_bucket = "fleet-pki"
  ca_certificates_bundle_s3_key    = "device-ca.pem"
}

resource "aws_lb_listener" "model_distribution_https" {
  load_balancer_arn = aws_lb.model_distribution.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
  %s
  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pkg/1"
  }
}
"""
VERIFY = """mutual_authentication {
    mode            = "verify"
    trust_store_arn = aws_lb_trust_store.devices.arn
  }"""


def _ingress(annotations: str, tls: str) -> str:
    return INGRESS.replace("{annotations}", annotations).replace("{tls}", tls)


def test_ingress_with_verified_client_certificates_passes(tmp_path) -> None:
    root = write(tmp_path, {"deploy/edge.yaml": _ingress(MTLS, TLS)})
    assert by_key(run(devices_authenticate, root)) == {
        "deploy/edge.yaml: Ingress/model-updates": "pass"
    }


def test_ingress_without_mtls_or_tls_fails(tmp_path) -> None:
    root = write(tmp_path, {"deploy/edge.yaml": _ingress(MTLS.replace('"on"', '"optional"'), TLS)})
    outcomes = run(devices_authenticate, root)
    assert statuses(outcomes) == {"fail"} and "optional" in outcomes[0].message
    write(tmp_path, {"deploy/edge.yaml": _ingress(MTLS, "")})
    outcomes = run(devices_authenticate, root)
    assert statuses(outcomes) == {"fail"} and "plain HTTP" in outcomes[0].message


def test_istio_gateway_every_server_mutual(tmp_path) -> None:
    root = write(tmp_path, {"deploy/gw.yaml": GATEWAY.replace("{extra}", "")})
    assert statuses(run(devices_authenticate, root)) == {"pass"}
    plain = (
        "    - port: {number: 80, name: http, protocol: HTTP}\n      hosts: [fleet.example.com]\n"
    )
    write(tmp_path, {"deploy/gw.yaml": GATEWAY.replace("{extra}", plain)})
    outcomes = run(devices_authenticate, root)
    assert statuses(outcomes) == {"fail"} and "http TLS mode none" in outcomes[0].message


def test_alb_listener_mutual_authentication(tmp_path) -> None:
    root = write(tmp_path, {"infra/edge.tf": ALB % VERIFY})
    assert by_key(run(devices_authenticate, root)) == {
        "aws_lb_listener.model_distribution_https": "pass"
    }
    write(tmp_path, {"infra/edge.tf": ALB % VERIFY.replace('"verify"', '"passthrough"')})
    assert statuses(run(devices_authenticate, root)) == {"fail"}


def test_no_endpoint_or_unparsable_is_not_verified(tmp_path) -> None:
    website_only = INGRESS.split("---\n", 1)[1]
    root = write(tmp_path, {"deploy/web.yaml": website_only})
    assert statuses(run(devices_authenticate, root)) == {"abstained"}
    write(tmp_path, {"infra/edge.tf": 'resource "aws_lb_listener" "ota" {\n  protocol = \n'})
    outcomes = run(devices_authenticate, root)
    assert statuses(outcomes) == {"not_verified"}
    assert any("could not be read" in o.message for o in outcomes)
