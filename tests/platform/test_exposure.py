"""MLOps services kept off the internet (MLC1000, M9.2.4), from Kubernetes, compose, Terraform."""

from __future__ import annotations

from mlsvs.checks.platform.exposure import mlops_not_internet_exposed
from tests.platform.helpers import by_key, run, statuses, write

MLFLOW_K8S = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mlflow
  namespace: mlops
spec:
  replicas: 1
  selector:
    matchLabels: {app: mlflow}
  template:
    metadata:
      labels: {app: mlflow, tier: tracking}
    spec:
      serviceAccountName: mlflow
      containers:
        - name: server
          image: ghcr.io/mlflow/mlflow:v2.17.2
          args: ["mlflow", "server", "--host", "0.0.0.0", "--port", "5000",
                 "--backend-store-uri", "postgresql://mlflow@db.mlops.svc:5432/mlflow"]
          ports:
            - containerPort: 5000
              name: http
---
apiVersion: v1
kind: Service
metadata:
  name: mlflow
  namespace: mlops
spec:
  type: {svc_type}
  selector: {app: mlflow}
  ports:
    - port: 80
      targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scorer
  namespace: serving
spec:
  selector:
    matchLabels: {app: scorer}
  template:
    metadata:
      labels: {app: scorer}
    spec:
      containers:
        - name: api
          image: registry.example.com/credit/scorer:1.4.2
---
apiVersion: v1
kind: Service
metadata:
  name: scorer
  namespace: serving
spec:
  type: LoadBalancer
  selector: {app: scorer}
  ports:
    - port: 443
      targetPort: 8443
"""

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tracking
  namespace: mlops
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://oauth2.example.com/oauth2/auth"
{extra}
spec:
  ingressClassName: nginx
  rules:
    - host: mlflow.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: mlflow
                port:
                  number: 80
"""

RAY = """
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: tuning
  namespace: training
spec:
  rayVersion: "2.35.0"
  headGroupSpec:
    serviceType: {svc_type}
    rayStartParams: {dashboard-host: "0.0.0.0"}
    template:
      spec:
        containers:
          - name: ray-head
            image: rayproject/ray:2.35.0-py311
  workerGroupSpecs:
    - groupName: cpu
      replicas: 2
      rayStartParams: {}
      template:
        spec:
          containers:
            - name: ray-worker
              image: rayproject/ray:2.35.0-py311
"""

COMPOSE = """
services:
  mlflow:
    image: ghcr.io/mlflow/mlflow:v2.17.2
    command: mlflow server --host 0.0.0.0 --port 5000
    ports:
      - "{mlflow_port}"
  notebook:
    image: quay.io/jupyter/scipy-notebook:2024-10-07
    ports:
      - target: 8888
        published: 8888
        host_ip: 127.0.0.1
  postgres:
    image: postgres:16
    ports:
      - "5432:5432"
"""

TERRAFORM = """
provider "aws" {
  region = "eu-west-1"
}

resource "aws_security_group" "ray" {
  name   = "ray-head"
  vpc_id = "vpc-0a1b2c3d"
  ingress {
    description = "Ray dashboard"
    from_port   = 8265
    to_port     = 8265
    protocol    = "tcp"
    cidr_blocks = ["%s"]
  }
  ingress {
    description = "HTTPS from the load balancer"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_sagemaker_domain" "studio" {
  domain_name             = "credit-ml"
  auth_mode               = "IAM"
  vpc_id                  = "vpc-0a1b2c3d"
  subnet_ids              = ["subnet-0123"]
  %s
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/sagemaker-studio"
  }
}

resource "azurerm_machine_learning_workspace" "ml" {
  name                          = "mlw-credit"
  location                      = "westeurope"
  resource_group_name           = "rg-credit"
  application_insights_id       = "/subscriptions/x/appinsights"
  key_vault_id                  = "/subscriptions/x/kv"
  storage_account_id            = "/subscriptions/x/sa"
  %s
  identity {
    type = "SystemAssigned"
  }
}
"""


def test_kubernetes_mlflow_behind_cluster_ip_passes(tmp_path) -> None:
    root = write(tmp_path, {"deploy/mlops.yaml": MLFLOW_K8S.replace("{svc_type}", "ClusterIP")})
    result = by_key(run(mlops_not_internet_exposed, root))
    # The public scorer is not an MLOps service: it is not judged here.
    assert result == {"deploy/mlops.yaml: Deployment/mlflow": "pass"}


def test_kubernetes_load_balancer_fails_unless_internal(tmp_path) -> None:
    root = write(tmp_path, {"deploy/mlops.yaml": MLFLOW_K8S.replace("{svc_type}", "LoadBalancer")})
    outcomes = run(mlops_not_internet_exposed, root)
    assert by_key(outcomes) == {"deploy/mlops.yaml: Deployment/mlflow": "fail"}
    assert "LoadBalancer Service mlflow" in outcomes[0].message
    internal = MLFLOW_K8S.replace("{svc_type}", "LoadBalancer").replace(
        "  name: mlflow\n  namespace: mlops\nspec:\n  type",
        "  name: mlflow\n  namespace: mlops\n  annotations:\n"
        '    service.beta.kubernetes.io/aws-load-balancer-scheme: "internal"\nspec:\n  type',
    )
    write(tmp_path, {"deploy/mlops.yaml": internal})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"pass"}


def test_ingress_to_mlflow_fails_even_with_sso_unless_private_allow_list(tmp_path) -> None:
    base = MLFLOW_K8S.replace("{svc_type}", "ClusterIP")
    root = write(
        tmp_path, {"deploy/mlops.yaml": base, "deploy/ingress.yaml": INGRESS.replace("{extra}", "")}
    )
    outcomes = run(mlops_not_internet_exposed, root)
    assert statuses(outcomes) == {"fail"}
    assert "Ingress tracking -> mlflow" in outcomes[0].message
    allow = '    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8,192.168.0.0/16"'
    write(tmp_path, {"deploy/ingress.yaml": INGRESS.replace("{extra}", allow)})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"pass"}
    public = '    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8,0.0.0.0/0"'
    write(tmp_path, {"deploy/ingress.yaml": INGRESS.replace("{extra}", public)})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"fail"}


def test_ray_head_service_type(tmp_path) -> None:
    root = write(tmp_path, {"deploy/ray.yaml": RAY.replace("{svc_type}", "NodePort")})
    result = by_key(run(mlops_not_internet_exposed, root))
    assert result["deploy/ray.yaml: RayCluster/tuning"] == "fail"
    write(tmp_path, {"deploy/ray.yaml": RAY.replace("{svc_type}", "ClusterIP")})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"pass"}


def test_compose_ports(tmp_path) -> None:
    root = write(tmp_path, {"docker-compose.yml": COMPOSE.replace("{mlflow_port}", "5000:5000")})
    result = by_key(run(mlops_not_internet_exposed, root))
    assert result == {
        "docker-compose.yml: service mlflow": "fail",
        "docker-compose.yml: service notebook": "pass",
    }
    write(tmp_path, {"docker-compose.yml": COMPOSE.replace("{mlflow_port}", "127.0.0.1:5000:5000")})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"pass"}


def test_terraform_security_group_and_managed_workspaces(tmp_path) -> None:
    bad = TERRAFORM % ("0.0.0.0/0", "", "")
    root = write(tmp_path, {"infra/ml.tf": bad})
    result = by_key(run(mlops_not_internet_exposed, root))
    assert result == {
        "aws_security_group.ray": "fail",
        "aws_sagemaker_domain.studio": "fail",
        "azurerm_machine_learning_workspace.ml": "fail",
    }
    good = TERRAFORM % (
        "10.20.0.0/16",
        'app_network_access_type = "VpcOnly"',
        "public_network_access_enabled = false",
    )
    write(tmp_path, {"infra/ml.tf": good})
    assert by_key(run(mlops_not_internet_exposed, root)) == {
        "aws_sagemaker_domain.studio": "pass",
        "azurerm_machine_learning_workspace.ml": "pass",
    }


def test_no_mlops_service_is_not_verified_unless_declared_none(tmp_path) -> None:
    scorer_only = MLFLOW_K8S.split("---\n", 2)[2]
    root = write(tmp_path, {"deploy/serving.yaml": scorer_only})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"abstained"}
    declared = run(mlops_not_internet_exposed, root, settings={"mlops": {"services": []}})
    assert statuses(declared) == {"not_applicable"}


def test_unparsable_and_missing_files_are_not_verified(tmp_path) -> None:
    root = write(tmp_path, {"README.md": "# nothing deployed here\n"})
    assert statuses(run(mlops_not_internet_exposed, root)) == {"abstained"}
    write(tmp_path, {"deploy/mlops.yaml": "apiVersion: v1\nkind: Service\nspec: [unclosed\n"})
    outcomes = run(mlops_not_internet_exposed, root)
    assert statuses(outcomes) == {"not_verified"}
    assert any("could not be read or parsed" in o.message for o in outcomes)


def test_compose_bare_container_port_is_published_on_all_interfaces(tmp_path) -> None:
    compose = """
services:
  tensorboard:
    image: tensorflow/tensorflow:2.17.0
    command: tensorboard --logdir /runs --bind_all
  board:
    image: ghcr.io/acme/tensorboard:2.17.0
    ports:
      - "6006"
    expose:
      - "6007"
"""
    root = write(tmp_path, {"compose.yaml": compose})
    outcomes = run(mlops_not_internet_exposed, root)
    assert by_key(outcomes) == {"compose.yaml: service board": "fail"}
    assert "published on 0.0.0.0" in outcomes[0].message
