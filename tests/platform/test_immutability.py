"""Model registry storage refuses overwrites (MLC1033, M4.5.3): Terraform and CloudFormation."""

from __future__ import annotations

from mlsvs.checks.platform.immutability import registry_versions_immutable as check
from tests.platform.helpers import by_key, run, write

PROVIDERS = """
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.70" }
    google = { source = "hashicorp/google", version = "~> 6.0" }
  }
}

variable "environment" {
  type = string
}
"""

LOCKED = """
resource "aws_s3_bucket" "model_registry" {
  bucket              = "acme-credit-model-registry-${var.environment}"
  object_lock_enabled = true
  tags                = { owner = "ml-platform" }
}

resource "aws_s3_bucket_versioning" "model_registry" {
  bucket = aws_s3_bucket.model_registry.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "model_registry" {
  bucket = aws_s3_bucket.model_registry.id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = 365
    }
  }
}

resource "aws_ecr_repository" "serving_images" {
  name                 = "credit-scoring/serving"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

# Raw training data: not a model store, not judged here.
resource "aws_s3_bucket" "raw_data" {
  bucket = "acme-credit-raw-${var.environment}"
}
"""

MUTABLE = """
resource "aws_s3_bucket" "mlflow_artifacts" {
  bucket = "acme-mlflow-artifacts"
}

resource "aws_s3_bucket_versioning" "mlflow_artifacts" {
  bucket = aws_s3_bucket.mlflow_artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_ecr_repository" "model_images" {
  name = "models/credit"
}

resource "google_storage_bucket" "model_weights" {
  name     = "acme-model-weights"
  location = "EU"
  retention_policy {
    retention_period = 2592000
  }
}

resource "google_artifact_registry_repository" "models" {
  location      = "europe-west4"
  repository_id = "models"
  format        = "DOCKER"
  docker_config {
    immutable_tags = true
  }
}

resource "aws_s3_bucket" "model_staging" {
  bucket              = "acme-model-staging"
  object_lock_enabled = var.lock_models
}
"""

CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Description: Model registry for the credit-scoring service
Resources:
  ModelRegistryBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-model-registry-${AWS::AccountId}"
      ObjectLockEnabled: true
      ObjectLockConfiguration:
        ObjectLockEnabled: Enabled
        Rule:
          DefaultRetention:
            Mode: GOVERNANCE
            Years: 1
      VersioningConfiguration:
        Status: Enabled
  InferenceRepository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: credit/inference
      ImageTagMutability: MUTABLE
"""


def test_object_lock_and_immutable_tags_pass_data_bucket_is_not_judged(tmp_path):
    write(tmp_path, {"infra/main.tf": PROVIDERS + LOCKED})
    got = by_key(run(check, tmp_path))
    assert got == {
        "aws_s3_bucket.model_registry": "pass",
        "aws_ecr_repository.serving_images": "pass",
    }


def test_mutable_registry_stores_fail_and_expressions_are_not_verified(tmp_path):
    write(tmp_path, {"infra/main.tf": PROVIDERS + MUTABLE})
    outcomes = run(check, tmp_path)
    got = by_key(outcomes)
    assert got["aws_s3_bucket.mlflow_artifacts"] == "fail"  # versioning is not write-once
    assert got["aws_ecr_repository.model_images"] == "fail"  # MUTABLE by default
    assert got["google_storage_bucket.model_weights"] == "fail"  # retention not locked
    assert got["google_artifact_registry_repository.models"] == "pass"
    assert got["aws_s3_bucket.model_staging"] == "not_verified"
    text = {o.key: o.message for o in outcomes}
    assert "Object Lock is not enabled" in text["aws_s3_bucket.mlflow_artifacts"]


def test_cloudformation_lock_passes_mutable_repository_fails(tmp_path):
    write(tmp_path, {"cfn/registry.yaml": CFN})
    got = by_key(run(check, tmp_path))
    assert got == {
        "cfn/registry.yaml: ModelRegistryBucket": "pass",
        "cfn/registry.yaml: InferenceRepository": "fail",
    }


def test_lock_without_default_retention_fails(tmp_path):
    body = LOCKED.split('resource "aws_s3_bucket_object_lock_configuration"', maxsplit=1)[0]
    write(tmp_path, {"infra/main.tf": PROVIDERS + body})
    outcomes = run(check, tmp_path)
    bucket = next(o for o in outcomes if o.key == "aws_s3_bucket.model_registry")
    assert bucket.status.value == "fail" and "no default retention" in bucket.message


def test_no_registry_store_or_no_iac_is_not_verified_and_broken_hcl_is_named(tmp_path):
    write(
        tmp_path,
        {"infra/main.tf": PROVIDERS + 'resource "aws_s3_bucket" "raw" {\n  bucket = "raw"\n}\n'},
    )
    assert by_key(run(check, tmp_path)) == {"no-registry-store": "abstained"}
    empty = tmp_path / "empty"
    write(empty, {"README.md": "# service\n"})
    assert by_key(run(check, empty)) == {"no-infrastructure": "abstained"}
    broken = tmp_path / "broken"
    write(
        broken,
        {"infra/main.tf": PROVIDERS + LOCKED + 'resource "aws_s3_bucket" "x" {\n  bucket = \n'},
    )
    got = by_key(run(check, broken))
    assert got.get("unread:infra/main.tf") == "not_verified"
    assert "pass" not in got.values()
