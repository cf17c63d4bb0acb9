"""Notebook servers that can reach model hubs hold no credentials or shared data."""

from __future__ import annotations

from mlsvs.checks.platform.notebooks import notebooks_isolated
from tests.platform.helpers import by_key, run, write

HUB_NOTEBOOK = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: research-lab
  namespace: research
spec:
  serviceName: research-lab
  selector:
    matchLabels: {app: research-lab}
  template:
    metadata:
      labels: {app: research-lab}
    spec:
      serviceAccountName: research-lab
      containers:
        - name: lab
          image: quay.io/jupyter/pytorch-notebook:2024-10-07
          env:
            - name: HF_HOME
              value: /home/jovyan/.cache/huggingface
            - name: FEATURE_STORE_PASSWORD
              valueFrom:
                secretKeyRef: {name: feature-store, key: password}
          volumeMounts:
            - {name: curated, mountPath: /data/curated}
      volumes:
        - name: curated
          persistentVolumeClaim: {claimName: curated-features-prod}
"""

QUARANTINE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: intake-lab
  namespace: quarantine
spec:
  selector:
    matchLabels: {app: intake-lab}
  template:
    metadata:
      labels: {app: intake-lab}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: lab
          image: quay.io/jupyter/scipy-notebook:2024-10-07
          volumeMounts:
            - {name: scratch, mountPath: /home/jovyan/work}
      volumes:
        - name: scratch
          emptyDir: {sizeLimit: 20Gi}
"""

SAGEMAKER = """
resource "aws_iam_role" "notebook" {
  name = "research-notebook"
}

resource "aws_iam_role_policy_attachment" "notebook_full" {
  role       = aws_iam_role.notebook.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
}

resource "aws_sagemaker_notebook_instance" "research" {
  name          = "research"
  role_arn      = aws_iam_role.notebook.arn
  instance_type = "ml.t3.medium"
}

resource "aws_sagemaker_notebook_instance" "intake" {
  name                   = "intake"
  role_arn               = aws_iam_role.notebook.arn
  instance_type          = "ml.t3.medium"
  direct_internet_access = "Disabled"
  subnet_id              = "subnet-0abc"
  security_groups        = ["sg-0abc"]
}
"""


def test_kubernetes_notebooks(tmp_path) -> None:
    root = write(tmp_path, {"k8s/research.yaml": HUB_NOTEBOOK, "k8s/quarantine.yaml": QUARANTINE})
    outcomes = run(notebooks_isolated, root)
    result = by_key(outcomes)
    assert result == {
        "k8s/research.yaml: StatefulSet/research-lab": "fail",
        "k8s/quarantine.yaml: Deployment/intake-lab": "pass",
    }
    failure = next(o for o in outcomes if o.status.value == "fail")
    assert "FEATURE_STORE_PASSWORD" in failure.message and "curated" in failure.message


def test_sagemaker_notebook_instances(tmp_path) -> None:
    root = write(tmp_path, {"infra/notebooks.tf": SAGEMAKER})
    result = by_key(run(notebooks_isolated, root))
    assert result == {
        "aws_sagemaker_notebook_instance.research": "fail",
        "aws_sagemaker_notebook_instance.intake": "pass",
    }
