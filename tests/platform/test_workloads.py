"""Workloads: credentials, read-only model stores, serving egress."""

from __future__ import annotations

from mlsvs.checks.platform.workloads import (
    model_store_read_only,
    serving_egress_denied,
    workload_credentials_managed,
)
from tests.platform.helpers import by_key, run, statuses, write

NAMESPACE = """
apiVersion: v1
kind: Namespace
metadata:
  name: fraud-serving
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: fraud-scorer
  namespace: fraud-serving
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/fraud-scorer
"""

SERVING = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fraud-scorer
  namespace: fraud-serving
  labels: {app: fraud-scorer}
spec:
  replicas: 3
  selector:
    matchLabels: {app: fraud-scorer}
  template:
    metadata:
      labels: {app: fraud-scorer, tier: inference}
    spec:
      serviceAccountName: fraud-scorer
      initContainers:
        - name: fetch-model
          image: amazon/aws-cli:2.17.0
          command: ["aws", "s3", "cp", "s3://acme-models/fraud/v7/", "/models/", "--recursive"]
          volumeMounts:
            - {name: model-store, mountPath: /models}
      containers:
        - name: server
          image: nvcr.io/nvidia/tritonserver:24.08-py3
          args: ["tritonserver", "--model-repository=/models"]
          env:
            - name: TRITON_API_TOKEN
              valueFrom:
                secretKeyRef: {name: triton-token, key: token}
            - name: TOKENIZERS_PARALLELISM
              value: "false"
            - name: MODEL_CACHE_DIR
              value: /tmp/cache
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            capabilities: {drop: ["ALL"]}
          volumeMounts:
            - {name: model-store, mountPath: /models, readOnly: true}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: model-store
          emptyDir: {sizeLimit: 4Gi}
        - name: tmp
          emptyDir: {}
"""

EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: fraud-serving
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: scorer-dns-and-s3
  namespace: fraud-serving
spec:
  podSelector:
    matchExpressions:
      - {key: tier, operator: In, values: [inference]}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: kube-system}
      ports:
        - {protocol: UDP, port: 53}
    - to:
        - ipBlock: {cidr: 10.20.0.0/16}
      ports:
        - {protocol: TCP, port: 443}
"""

TRAINING = """
apiVersion: batch/v1
kind: Job
metadata:
  name: fraud-train-v8
  namespace: fraud-training
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: train
          image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-train:1.4.2
          volumeMounts:
            - {name: checkpoints, mountPath: /checkpoints}
      volumes:
        - name: checkpoints
          persistentVolumeClaim: {claimName: fraud-checkpoints}
"""


def _cluster(tmp_path, **files: str):
    base = {
        "deploy/namespace.yaml": NAMESPACE,
        "deploy/serving.yaml": SERVING,
        "deploy/training.yaml": TRAINING,
    }
    base.update({k.replace("__", "/").replace("_yaml", ".yaml"): v for k, v in files.items()})
    return write(tmp_path, base)


def test_secret_references_pass_literals_fail(tmp_path) -> None:
    root = _cluster(tmp_path)
    outcomes = by_key(run(workload_credentials_managed, root))
    assert outcomes["deploy/serving.yaml: Deployment/fraud-scorer"] == "pass"
    leaky = SERVING.replace(
        """            - name: TOKENIZERS_PARALLELISM""",
        """            - name: AWS_SECRET_ACCESS_KEY
              value: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY
            - name: TOKENIZERS_PARALLELISM""",
    )
    (root / "deploy/serving.yaml").write_text(leaky)
    outcomes = run(workload_credentials_managed, root)
    bad = [o for o in outcomes if o.key == "deploy/serving.yaml: Deployment/fraud-scorer"]
    assert bad[0].status.value == "fail" and "AWS_SECRET_ACCESS_KEY" in bad[0].message
    assert "TOKENIZERS" not in bad[0].message


def test_committed_secret_data_is_not_a_secret_manager(tmp_path) -> None:
    secret = """
    apiVersion: v1
    kind: Secret
    metadata:
      name: triton-token
      namespace: fraud-serving
    type: Opaque
    stringData:
      token: s3cr3t-triton-token
    """
    root = _cluster(tmp_path, deploy__secret_yaml=secret)
    outcomes = run(workload_credentials_managed, root)
    bad = next(o for o in outcomes if o.key == "deploy/serving.yaml: Deployment/fraud-scorer")
    assert bad.status.value == "fail" and "written in deploy/secret.yaml" in bad.message


def test_dockerfile_and_compose_credentials(tmp_path) -> None:
    dockerfile = """
    # syntax=docker/dockerfile:1.7
    FROM python:3.12.7-slim AS build
    ARG HF_TOKEN
    RUN pip wheel --wheel-dir /wheels -r requirements.txt

    FROM python:3.12.7-slim
    ENV PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
    COPY --from=build /wheels /wheels
    USER 10001
    """
    compose = """
    services:
      api:
        image: acme/fraud-api:1.8.0
        environment:
          DATABASE_URL: postgresql://fraud:hunter2@db:5432/fraud
          LOG_LEVEL: info
      worker:
        image: acme/fraud-worker:1.8.0
        environment:
          - OPENAI_API_KEY=${OPENAI_API_KEY}
      db:
        image: postgres:16.4
    """
    root = write(tmp_path, {"Dockerfile": dockerfile, "docker-compose.yml": compose})
    outcomes = by_key(run(workload_credentials_managed, root))
    assert outcomes["Dockerfile"] == "fail"
    assert outcomes["docker-compose.yml: service api"] == "fail"
    assert outcomes["docker-compose.yml: service worker"] == "not_verified"
    assert outcomes["docker-compose.yml: service db"] == "pass"


def test_model_volume_read_only(tmp_path) -> None:
    root = _cluster(tmp_path)
    outcomes = by_key(run(model_store_read_only, root))
    assert outcomes == {"deploy/serving.yaml: Deployment/fraud-scorer container server": "pass"}
    writable = SERVING.replace("mountPath: /models, readOnly: true", "mountPath: /models")
    (root / "deploy/serving.yaml").write_text(writable)
    outcomes = run(model_store_read_only, root)
    assert statuses(outcomes) == {"fail"}
    assert "/models" in outcomes[0].message


def test_model_in_image_needs_read_only_root(tmp_path) -> None:
    baked = """
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: ranker, namespace: search}
    spec:
      serviceName: ranker
      selector: {matchLabels: {app: ranker}}
      template:
        metadata: {labels: {app: ranker}}
        spec:
          containers:
            - name: ranker
              image: ghcr.io/acme/ranker@sha256:4b8f3f0c1e6d2a9b7c5e3f1a0d9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3f2e1d0
              securityContext: {readOnlyRootFilesystem: false}
    """
    root = write(tmp_path, {"k8s/ranker.yaml": baked})
    assert statuses(run(model_store_read_only, root)) == {"fail"}
    (root / "k8s/ranker.yaml").write_text(
        (root / "k8s/ranker.yaml")
        .read_text()
        .replace("readOnlyRootFilesystem: false", "readOnlyRootFilesystem: true")
    )
    assert statuses(run(model_store_read_only, root)) == {"pass"}


def test_helm_template_is_not_verified(tmp_path) -> None:
    chart = {
        "charts/scorer/Chart.yaml": "apiVersion: v2\nname: scorer\nversion: 0.3.1\n",
        "charts/scorer/values.yaml": "image:\n  tag: 1.2.0\nmodelVolume:\n  readOnly: false\n",
        "charts/scorer/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "scorer.fullname" . }}
        spec:
          template:
            spec:
              containers:
                - name: scorer
                  image: "acme/scorer:{{ .Values.image.tag }}"
                  volumeMounts:
                    - name: models
                      mountPath: /models
                      readOnly: {{ .Values.modelVolume.readOnly }}
        """,
    }
    root = write(tmp_path, chart)
    outcomes = run(model_store_read_only, root)
    assert statuses(outcomes) == {"not_verified"}
    assert outcomes[0].gaps[0].reason.value == "unsupported"


def test_serving_egress(tmp_path) -> None:
    root = _cluster(tmp_path)
    assert statuses(run(serving_egress_denied, root)) == {"fail"}  # no policy at all
    (root / "deploy/netpol.yaml").write_text(EGRESS)
    outcomes = run(serving_egress_denied, root)
    assert statuses(outcomes) == {"pass"}
    assert "default-deny" in outcomes[0].message
    (root / "deploy/netpol.yaml").write_text(
        EGRESS.replace("cidr: 10.20.0.0/16", "cidr: 0.0.0.0/0")
    )
    outcomes = run(serving_egress_denied, root)
    assert statuses(outcomes) == {"fail"} and "0.0.0.0/0" in outcomes[0].message


def test_broken_manifest_is_not_verified(tmp_path) -> None:
    root = _cluster(tmp_path, deploy__broken_yaml="apiVersion: v1\nkind: Pod\nspec: [unclosed\n")
    outcomes = run(serving_egress_denied, root)
    assert by_key(outcomes)["unread:deploy/broken.yaml"] == "not_verified"


def test_training_egress(tmp_path) -> None:
    from mlsvs.checks.platform.workloads import training_egress_restricted

    root = _cluster(tmp_path)
    outcomes = by_key(run(training_egress_restricted, root))
    assert outcomes == {"deploy/training.yaml: Job/fraud-train-v8": "fail"}
    policy = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: training-egress
      namespace: fraud-training
    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
        - to:
            - ipBlock: {cidr: 10.30.0.0/16}
          ports:
            - {protocol: TCP, port: 443}
    """
    write(root, {"deploy/training-netpol.yaml": policy})
    assert statuses(run(training_egress_restricted, root)) == {"pass"}
    opened = policy.replace(
        "        - to:\n            - ipBlock: {cidr: 10.30.0.0/16}\n          ports:",
        "        - ports:",
    )
    assert opened != policy
    write(root, {"deploy/training-netpol.yaml": opened})
    assert statuses(run(training_egress_restricted, root)) == {"fail"}


def test_namespaces_default_deny(tmp_path) -> None:
    from mlsvs.checks.platform.segmentation import namespaces_default_deny

    root = _cluster(tmp_path)
    outcomes = by_key(run(namespaces_default_deny, root))
    assert outcomes == {"namespace fraud-serving": "fail", "namespace fraud-training": "fail"}
    write(root, {"deploy/netpol.yaml": EGRESS})  # default-deny in fraud-serving only
    outcomes = by_key(run(namespaces_default_deny, root))
    assert outcomes == {"namespace fraud-serving": "pass", "namespace fraud-training": "fail"}


def test_training_separated_from_serving(tmp_path) -> None:
    from mlsvs.checks.platform.segmentation import training_separated_from_serving

    root = _cluster(tmp_path)
    assert statuses(run(training_separated_from_serving, root)) == {"pass"}
    (root / "deploy/training.yaml").write_text(
        TRAINING.replace("namespace: fraud-training", "namespace: fraud-serving")
    )
    outcomes = run(training_separated_from_serving, root)
    assert statuses(outcomes) == {"fail"} and "fraud-serving" in outcomes[0].message


def test_template_strings_outside_a_chart_are_literals(tmp_path) -> None:
    workflow = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: retrain-
      namespace: fraud-training
    spec:
      entrypoint: train
      arguments:
        parameters:
          - name: dataset
            value: s3://acme-curated/fraud/2026-11
      templates:
        - name: train
          inputs:
            parameters:
              - name: dataset
          container:
            image: registry.example.com/ml/fraud-train:1.4.2
            args: ["--data", "{{inputs.parameters.dataset}}"]
    """
    root = _cluster(tmp_path, deploy__workflow_yaml=workflow)
    outcomes = by_key(run(model_store_read_only, root))
    assert "unread:deploy/workflow.yaml" not in outcomes
    assert outcomes["deploy/serving.yaml: Deployment/fraud-scorer container server"] == "pass"
