"""Accelerator drivers pinned (GPU Operator, EKS and GKE node pools)."""

from __future__ import annotations

from mlsvs.checks.platform.accelerators import accelerator_drivers_pinned
from tests.platform.helpers import by_key, run, statuses, write

OPERATOR = """
apiVersion: nvidia.com/v1
kind: ClusterPolicy
metadata:
  name: cluster-policy
spec:
  operator:
    defaultRuntime: containerd
  driver:
    enabled: true
    repository: nvcr.io/nvidia
    image: driver
    version: "550.90.07"
  toolkit:
    enabled: true
  devicePlugin:
    enabled: true
"""

TRAINING = """
apiVersion: batch/v1
kind: Job
metadata: {name: finetune, namespace: training}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: train
          image: registry.example.com/ml/finetune:3.1.0
          resources:
            limits: {nvidia.com/gpu: 4, memory: 120Gi}
"""

NODES = """
resource "aws_eks_node_group" "gpu" {
  cluster_name    = "ml-prod"
  node_group_name = "gpu-a10g"
  node_role_arn   = "arn:aws:iam::123456789012:role/eks-gpu-nodes"
  subnet_ids      = ["subnet-0abc"]
  ami_type        = "AL2_x86_64_GPU"
  instance_types  = ["g5.2xlarge"]
  scaling_config {
    desired_size = 2
    max_size     = 4
    min_size     = 0
  }
}
"""


def test_pinned_driver_stays_not_verified_for_advisories(tmp_path) -> None:
    root = write(tmp_path, {"cluster/gpu-operator.yaml": OPERATOR, "jobs/finetune.yaml": TRAINING})
    outcomes = run(accelerator_drivers_pinned, root)
    assert statuses(outcomes) == {"not_verified"}
    assert outcomes[0].gaps[0].reason.value == "outside_database"


def test_unpinned_drivers_fail(tmp_path) -> None:
    root = write(
        tmp_path,
        {
            "cluster/gpu-operator.yaml": OPERATOR.replace(
                'version: "550.90.07"', "version: latest"
            ),
            "infra/nodes.tf": NODES,
        },
    )
    outcomes = by_key(run(accelerator_drivers_pinned, root))
    assert list(outcomes.values()).count("fail") == 2
    pinned = NODES.replace(
        '  ami_type        = "AL2_x86_64_GPU"',
        '  ami_type        = "AL2_x86_64_GPU"\n  release_version = "1.30.4-20240917"',
    )
    root = write(tmp_path / "b", {"infra/nodes.tf": pinned})
    assert statuses(run(accelerator_drivers_pinned, root)) == {"not_verified"}


def test_gpu_workload_without_driver_config(tmp_path) -> None:
    root = write(tmp_path, {"jobs/finetune.yaml": TRAINING})
    outcomes = run(accelerator_drivers_pinned, root)
    assert statuses(outcomes) == {"not_verified"} and "finetune" in outcomes[0].message


def test_no_accelerators_not_applicable(tmp_path) -> None:
    root = write(tmp_path, {"jobs/etl.yaml": TRAINING.replace("nvidia.com/gpu: 4, ", "")})
    assert statuses(run(accelerator_drivers_pinned, root)) == {"not_applicable"}
