"""Storage in Terraform and CloudFormation: public access, encryption, managed keys, logging."""

from __future__ import annotations

from mlsvs.checks.platform.storage import (
    data_writes_logged,
    stores_block_public_access,
    stores_encrypted_at_rest,
    weight_access_logged,
    weights_encrypted_with_managed_keys,
)
from tests.platform.helpers import by_key, run, statuses, write

PROVIDERS = """
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.70" }
    google = { source = "hashicorp/google", version = "~> 6.0" }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "environment" {
  type = string
}
"""

MODELS = """
resource "aws_kms_key" "models" {
  description         = "model artifacts (${var.environment})"
  enable_key_rotation = true
}

# Model registry bucket: private, KMS, versioned, logged.
resource "aws_s3_bucket" "models" {
  bucket = "acme-credit-models-${var.environment}"
  tags   = { data_class = "confidential", owner = "ml-platform" }
}

resource "aws_s3_bucket_public_access_block" "models" {
  bucket                  = aws_s3_bucket.models.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "models" {
  bucket = aws_s3_bucket.models.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.models.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket" "access_logs" {
  bucket = "acme-credit-access-logs-${var.environment}"
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "models" {
  bucket        = aws_s3_bucket.models.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "models/"
}

data "aws_iam_policy_document" "models_tls" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.models.arn, "${aws_s3_bucket.models.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "models" {
  bucket = aws_s3_bucket.models.id
  policy = data.aws_iam_policy_document.models_tls.json
}
"""

LEAKY = """
# Feature exports shared with a partner: public ACL and an open read policy.
resource "aws_s3_bucket" "features" {
  bucket = "acme-credit-features-export"
  acl    = "public-read"
}

resource "aws_s3_bucket_policy" "features" {
  bucket = aws_s3_bucket.features.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PartnerRead"
      Effect    = "Allow"
      Principal = "*"
      Action    = ["s3:GetObject"]
      Resource  = "${aws_s3_bucket.features.arn}/*"
    }]
  })
}

resource "aws_db_instance" "feature_store" {
  identifier          = "feature-store"
  engine              = "postgres"
  engine_version      = "16.4"
  instance_class      = "db.r6g.large"
  allocated_storage   = 200
  publicly_accessible = true
  storage_encrypted   = false
  username            = "features"
  manage_master_user_password = true
}

resource "aws_ebs_volume" "scratch" {
  availability_zone = "eu-west-1a"
  size              = 500
  type              = "gp3"
}

resource "google_storage_bucket" "datasets" {
  name                        = "acme-credit-datasets"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"
}

resource "google_storage_bucket_iam_member" "datasets_public" {
  bucket = google_storage_bucket.datasets.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}
"""


def _project(tmp_path, *extra: tuple[str, str]):
    files = {"infra/versions.tf": PROVIDERS, "infra/models.tf": MODELS}
    files.update(dict(extra))
    return write(tmp_path, files)


def test_private_encrypted_logged_bucket_passes(tmp_path) -> None:
    root = _project(tmp_path)
    public = by_key(run(stores_block_public_access, root))
    assert public == {"aws_s3_bucket.models": "pass", "aws_s3_bucket.access_logs": "pass"}
    assert statuses(run(stores_encrypted_at_rest, root)) == {"pass"}
    keys = by_key(run(weights_encrypted_with_managed_keys, root))
    assert keys["aws_s3_bucket.models"] == "pass"
    assert keys["aws_s3_bucket.access_logs"] == "fail"  # SSE-S3 only: no customer key
    logged = run(weight_access_logged, root)
    assert by_key(logged)["aws_s3_bucket.models"] == "pass"
    assert "aws_s3_bucket.access_logs" not in by_key(logged)  # the log target itself
    # configuration alone never passes the sampled-log clause
    assert by_key(logged)["log-sample"] == "not_verified"


def test_public_and_unencrypted_stores_fail(tmp_path) -> None:
    root = _project(tmp_path, ("infra/sharing.tf", LEAKY))
    public = run(stores_block_public_access, root)
    result = by_key(public)
    assert result["aws_s3_bucket.features"] == "fail"
    message = next(o.message for o in public if o.key == "aws_s3_bucket.features")
    assert "public-read" in message and "principal '*'" in message
    assert "no aws_s3_bucket_public_access_block" in message
    assert result["aws_db_instance.feature_store"] == "fail"
    assert result["google_storage_bucket.datasets"] == "fail"
    assert result["aws_s3_bucket.models"] == "pass"  # the Deny-with-condition policy is fine
    encrypted = by_key(run(stores_encrypted_at_rest, root))
    assert encrypted["aws_db_instance.feature_store"] == "fail"
    assert encrypted["aws_ebs_volume.scratch"] == "fail"
    assert encrypted["google_storage_bucket.datasets"] == "pass"
    logged = by_key(run(data_writes_logged, root))
    assert logged["aws_s3_bucket.features"] == "fail"
    assert "log-sample" not in logged


def test_account_level_block_and_default_ebs_encryption(tmp_path) -> None:
    account = """
    resource "aws_s3_account_public_access_block" "this" {
      block_public_acls       = true
      block_public_policy     = true
      ignore_public_acls      = true
      restrict_public_buckets = true
    }

    resource "aws_ebs_encryption_by_default" "this" {
      enabled = true
    }

    resource "aws_s3_bucket" "checkpoints" {
      bucket = "acme-training-checkpoints"
    }

    resource "aws_ebs_volume" "train_cache" {
      availability_zone = "eu-west-1b"
      size              = 1000
    }
    """
    root = write(tmp_path, {"infra/versions.tf": PROVIDERS, "infra/account.tf": account})
    assert by_key(run(stores_block_public_access, root))["aws_s3_bucket.checkpoints"] == "pass"
    assert by_key(run(stores_encrypted_at_rest, root))["aws_ebs_volume.train_cache"] == "pass"


def test_expression_flags_are_not_verified(tmp_path) -> None:
    tf = """
    variable "block" {
      type = bool
    }

    resource "aws_s3_bucket" "raw" {
      bucket = "acme-raw-data"
    }

    resource "aws_s3_bucket_public_access_block" "raw" {
      bucket                  = aws_s3_bucket.raw.id
      block_public_acls       = var.block
      block_public_policy     = true
      ignore_public_acls      = true
      restrict_public_buckets = true
    }
    """
    root = write(tmp_path, {"infra/main.tf": tf})
    assert by_key(run(stores_block_public_access, root))["aws_s3_bucket.raw"] == "not_verified"


def test_broken_terraform_is_not_verified_never_passed(tmp_path) -> None:
    broken = 'resource "aws_s3_bucket" "half" {\n  bucket = "acme-half"\n'
    root = _project(tmp_path, ("infra/broken.tf", broken))
    outcomes = run(stores_block_public_access, root)
    unread = [o for o in outcomes if o.key == "unread:infra/broken.tf"]
    assert unread and unread[0].status.value == "not_verified"
    assert unread[0].gaps[0].reason.value == "unparseable"


def test_remote_module_leaves_its_resources_unverified(tmp_path) -> None:
    module = """
    module "lake" {
      source  = "terraform-aws-modules/s3-bucket/aws"
      version = "4.1.2"
      bucket  = "acme-lake"
    }
    """
    root = _project(tmp_path, ("infra/lake.tf", module))
    outcomes = run(stores_encrypted_at_rest, root)
    assert by_key(outcomes)["remote-modules"] == "not_verified"


def test_no_infrastructure_is_not_verified(tmp_path) -> None:
    root = write(tmp_path, {"train.py": "print('train')\n"})
    outcomes = run(stores_block_public_access, root)
    assert statuses(outcomes) == {"abstained"}


def test_cloudformation_template(tmp_path) -> None:
    template = """
    AWSTemplateFormatVersion: "2010-09-09"
    Description: SageMaker model artifacts and training data
    Parameters:
      Env:
        Type: String
    Resources:
      ArtifactKey:
        Type: AWS::KMS::Key
        Properties:
          EnableKeyRotation: true
      ModelArtifacts:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "acme-sagemaker-artifacts-${Env}"
          PublicAccessBlockConfiguration:
            BlockPublicAcls: true
            BlockPublicPolicy: true
            IgnorePublicAcls: true
            RestrictPublicBuckets: true
          BucketEncryption:
            ServerSideEncryptionConfiguration:
              - ServerSideEncryptionByDefault:
                  SSEAlgorithm: aws:kms
                  KMSMasterKeyID: !GetAtt ArtifactKey.Arn
          LoggingConfiguration:
            DestinationBucketName: !Ref LogBucket
      TrainingData:
        Type: AWS::S3::Bucket
        Properties:
          AccessControl: PublicRead
      LogBucket:
        Type: AWS::S3::Bucket
        Properties:
          PublicAccessBlockConfiguration:
            BlockPublicAcls: true
            BlockPublicPolicy: true
            IgnorePublicAcls: true
            RestrictPublicBuckets: false
    """
    root = write(tmp_path, {"cfn/ml-storage.yaml": template})
    public = by_key(run(stores_block_public_access, root))
    assert public["cfn/ml-storage.yaml: ModelArtifacts"] == "pass"
    assert public["cfn/ml-storage.yaml: TrainingData"] == "fail"
    assert public["cfn/ml-storage.yaml: LogBucket"] == "fail"
    keys = by_key(run(weights_encrypted_with_managed_keys, root))
    assert keys["cfn/ml-storage.yaml: ModelArtifacts"] == "pass"
    assert keys["cfn/ml-storage.yaml: TrainingData"] == "fail"


def test_trail_directions_and_image_pulls(tmp_path) -> None:
    trail = """
    resource "aws_s3_bucket" "trail" {
      bucket = "acme-trail"
    }

    resource "aws_cloudtrail" "data" {
      name                       = "ml-data-events"
      s3_bucket_name             = aws_s3_bucket.trail.id
      enable_log_file_validation = true
      event_selector {
        read_write_type           = "WriteOnly"
        include_management_events = false
        data_resource {
          type   = "AWS::S3::Object"
          values = ["arn:aws:s3"]
        }
      }
    }

    resource "aws_s3_bucket" "raw" {
      bucket = "acme-raw-events"
    }

    resource "aws_ecr_repository" "serving" {
      name = "ml/fraud-server"
    }
    """
    root = write(tmp_path, {"infra/trail.tf": trail})
    writes = by_key(run(data_writes_logged, root))
    assert writes["aws_s3_bucket.raw"] == "pass"
    assert "aws_s3_bucket.trail" not in writes  # the trail's own bucket
    reads = by_key(run(weight_access_logged, root))
    assert reads["aws_s3_bucket.raw"] == "fail"  # writes only: reads of weights unlogged
    assert reads["aws_ecr_repository.serving"] == "fail"  # no management read events
    both = trail.replace('"WriteOnly"', '"All"').replace(
        "include_management_events = false", "include_management_events = true"
    )
    root = write(tmp_path / "b", {"infra/trail.tf": both})
    reads = by_key(run(weight_access_logged, root))
    assert reads["aws_s3_bucket.raw"] == "pass" and reads["aws_ecr_repository.serving"] == "pass"
    assert reads["log-sample"] == "not_verified"


def test_kubernetes_volume_claims(tmp_path) -> None:
    manifests = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3-encrypted
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: ebs.csi.aws.com
parameters:
  type: gp3
  encrypted: "true"
  kmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3-fast
provisioner: ebs.csi.aws.com
parameters:
  type: gp3
  iops: "6000"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: feature-cache
  namespace: features
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 200Gi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: training-scratch
  namespace: training
spec:
  storageClassName: gp3-fast
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 2Ti}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: labels
  namespace: labeling
spec:
  storageClassName: netapp-ontap
  accessModes: [ReadWriteMany]
  resources:
    requests: {storage: 50Gi}
"""
    root = write(tmp_path, {"k8s/storage.yaml": manifests})
    outcomes = by_key(run(stores_encrypted_at_rest, root))
    assert outcomes == {
        "k8s/storage.yaml: PersistentVolumeClaim/feature-cache": "pass",  # default class
        "k8s/storage.yaml: PersistentVolumeClaim/training-scratch": "fail",
        "k8s/storage.yaml: PersistentVolumeClaim/labels": "not_verified",
    }
