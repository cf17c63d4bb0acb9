"""Append-only audit trail in Terraform and CloudFormation."""

from __future__ import annotations

from mlsvs.checks.platform.audit import audit_trail_immutable
from tests.platform.helpers import by_key, run, write

TRAIL = """
resource "aws_s3_bucket" "audit" {
  bucket              = "acme-ml-audit-trail"
  object_lock_enabled = true
}

resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    default_retention {
      mode  = "COMPLIANCE"
      years = 7
    }
  }
}

resource "aws_s3_bucket_public_access_block" "audit" {
  bucket                  = aws_s3_bucket.audit.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "ml" {
  name                          = "ml-platform-audit"
  s3_bucket_name                = aws_s3_bucket.audit.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = true
    data_resource {
      type   = "AWS::S3::Object"
      values = ["arn:aws:s3"]
    }
  }
}
"""


def test_locked_validated_trail_waits_for_a_sample(tmp_path) -> None:
    root = write(tmp_path, {"infra/audit.tf": TRAIL})
    outcomes = by_key(run(audit_trail_immutable, root))
    assert outcomes == {"aws_cloudtrail.ml": "pass", "log-sample": "not_verified"}


def test_governance_mode_or_no_validation_fails(tmp_path) -> None:
    root = write(tmp_path, {"infra/audit.tf": TRAIL.replace('"COMPLIANCE"', '"GOVERNANCE"')})
    outcomes = run(audit_trail_immutable, root)
    assert by_key(outcomes) == {"aws_cloudtrail.ml": "fail"}
    assert "GOVERNANCE can be bypassed" in outcomes[0].message
    root = write(
        tmp_path / "b",
        {
            "infra/audit.tf": TRAIL.replace(
                "enable_log_file_validation    = true", "enable_log_file_validation    = false"
            )
        },
    )
    assert by_key(run(audit_trail_immutable, root)) == {"aws_cloudtrail.ml": "fail"}


def test_no_trail_is_not_verified(tmp_path) -> None:
    root = write(tmp_path, {"infra/main.tf": 'resource "aws_s3_bucket" "m" {\n  bucket = "m"\n}\n'})
    assert by_key(run(audit_trail_immutable, root)) == {"no-trail": "not_verified"}


def test_registry_writes_logged(tmp_path) -> None:
    from mlsvs.checks.platform.audit import registry_writes_logged

    registry = """
resource "aws_ecr_repository" "serving" {
  name                 = "ml/fraud-server"
  image_tag_mutability = "IMMUTABLE"
}

resource "aws_sagemaker_model_package_group" "fraud" {
  model_package_group_name        = "fraud-models"
  model_package_group_description = "Approved fraud models"
}
"""
    root = write(tmp_path, {"infra/registry.tf": registry})
    assert by_key(run(registry_writes_logged, root)) == {
        "aws_ecr_repository.serving": "fail",
        "aws_sagemaker_model_package_group.fraud": "fail",
    }
    root = write(tmp_path / "b", {"infra/registry.tf": registry, "infra/audit.tf": TRAIL})
    outcomes = by_key(run(registry_writes_logged, root))
    assert outcomes == {
        "aws_ecr_repository.serving": "pass",
        "aws_sagemaker_model_package_group.fraud": "pass",
        "log-sample": "not_verified",
    }
    reads_only = TRAIL.replace(
        'read_write_type           = "WriteOnly"', 'read_write_type           = "ReadOnly"'
    )
    root = write(tmp_path / "c", {"infra/registry.tf": registry, "infra/audit.tf": reads_only})
    assert "fail" in by_key(run(registry_writes_logged, root)).values()
