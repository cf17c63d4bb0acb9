"""IAM write rights on data stores, registries, and training roles, from Terraform."""

from __future__ import annotations

from mlsvs.checks.platform.iam import (
    data_store_writes_restricted,
    registry_writes_restricted,
    training_roles_least_privilege,
)
from tests.platform.helpers import by_key, run, statuses, write

SCOPED = """
data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "churn_training" {
  name               = "churn-training-job"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

data "aws_iam_policy_document" "churn_training" {
  statement {
    sid       = "ReadCuratedFeatures"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::acme-curated-features", "arn:aws:s3:::acme-curated-features/churn/*"]
  }
  statement {
    sid       = "WriteOwnOutput"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::acme-model-artifacts/churn/training-output/*"]
  }
}

resource "aws_iam_role_policy" "churn_training" {
  name   = "churn-training"
  role   = aws_iam_role.churn_training.id
  policy = data.aws_iam_policy_document.churn_training.json
}

resource "aws_ecr_repository" "serving" {
  name                 = "ml/churn-server"
  image_tag_mutability = "IMMUTABLE"
}

resource "aws_ecr_repository_policy" "serving" {
  repository = aws_ecr_repository.serving.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ReleasePipelinePush"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:role/ml-release-pipeline" }
      Action    = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]
    }]
  })
}
"""

BROAD = """
resource "aws_iam_role_policy_attachment" "churn_training_full" {
  role       = aws_iam_role.churn_training.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
}

resource "aws_iam_policy" "data_engineers" {
  name = "data-engineers"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-raw-events", "arn:aws:s3:::acme-raw-events/*"]},
    {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}
  ]
}
EOF
}

resource "aws_ecr_repository_policy" "open" {
  repository = aws_ecr_repository.serving.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = ["ecr:PutImage"] }]
  })
}
"""


def test_scoped_policies_pass(tmp_path) -> None:
    root = write(tmp_path, {"infra/iam.tf": SCOPED})
    assert statuses(run(data_store_writes_restricted, root)) == {"pass"}
    assert statuses(run(registry_writes_restricted, root)) == {"pass"}
    assert by_key(run(training_roles_least_privilege, root)) == {
        "aws_iam_role.churn_training": "pass"
    }


def test_broad_grants_fail(tmp_path) -> None:
    root = write(tmp_path, {"infra/iam.tf": SCOPED, "infra/shortcuts.tf": BROAD})
    data = [o.message for o in run(data_store_writes_restricted, root) if o.status.value == "fail"]
    assert any("wildcard action s3:*" in m for m in data)
    assert any("dynamodb:PutItem for every resource" in m for m in data)
    assert any("AmazonSageMakerFullAccess" in m for m in data)
    registry = [
        o.message for o in run(registry_writes_restricted, root) if o.status.value == "fail"
    ]
    assert any("ecr:PutImage for every principal" in m for m in registry)
    training = by_key(run(training_roles_least_privilege, root))
    assert training == {"aws_iam_role.churn_training": "fail"}


def test_policy_from_a_variable_is_not_verified(tmp_path) -> None:
    tf = (
        SCOPED
        + """
variable "extra_policy" {
  type = string
}

resource "aws_iam_policy" "extra" {
  name   = "extra"
  policy = var.extra_policy
}
"""
    )
    root = write(tmp_path, {"infra/iam.tf": tf})
    outcomes = by_key(run(data_store_writes_restricted, root))
    assert outcomes == {"unreadable-policies": "not_verified"}
