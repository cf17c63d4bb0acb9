"""Discovery classifies infrastructure files as DeploymentConfig kinds."""

from __future__ import annotations

from mlsvs.discovery import discover
from mlsvs.discovery.classify import types_by_name
from mlsvs.model.artifact import DeploymentConfig
from tests.platform.helpers import write


def test_infrastructure_kinds(tmp_path) -> None:
    root = write(
        tmp_path,
        {
            "infra/main.tf": 'resource "aws_s3_bucket" "m" {\n  bucket = "m"\n}\n',
            "infra/main.tf.json": '{"resource": {"aws_s3_bucket": {"m": {"bucket": "m"}}}}\n',
            "infra/prod.tfvars": 'account_id = "123456789012"\n',
            "cfn/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
            "cfn/stack.json": '{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}\n',
            "k8s/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
            "configs/train.yaml": "lr: 0.1\n",
        },
    )
    found = {a.path: a.config for a in discover(root).project.of_type(DeploymentConfig)}
    assert found == {
        "infra/main.tf": "terraform",
        "infra/main.tf.json": "terraform",
        "infra/prod.tfvars": "terraform_vars",
        "cfn/stack.yaml": "cloudformation",
        "cfn/stack.json": "cloudformation",
        "k8s/pod.yaml": "kubernetes",
    }
    assert types_by_name("infra/network.tf") == ("DeploymentConfig",)


def test_missing_parser_is_a_gap_not_a_crash(tmp_path, monkeypatch) -> None:
    import sys

    from mlsvs.checks.platform import _sources
    from mlsvs.checks.platform.workloads import workload_credentials_managed
    from tests.platform.helpers import run

    monkeypatch.setitem(sys.modules, "dockerfile_parse", None)  # import fails
    monkeypatch.setattr(_sources, "_PARSED", {})
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12.7-slim\nUSER 10001\n"})
    outcomes = run(workload_credentials_managed, root)
    assert [o.status.value for o in outcomes] == ["not_verified"]
    assert "dockerfile-parse is not installed" in outcomes[0].message
