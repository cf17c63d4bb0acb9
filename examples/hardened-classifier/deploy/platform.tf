# Cloud resources of the scoring service, one AWS account per environment (MLSVS M9.2.3, M9.3.1,
# M9.3.2). Applied by the platform pipeline once per environment:
#   terraform apply -var environment=staging    (account 210987654321)
#   terraform apply -var environment=production (account 123456789012)
# The ML storage locations of the deployed system are exactly: the image repository below (the
# image carries the ONNX model) and the API-key secret. There is no bucket, volume or database:
# the pod has a read-only root filesystem and a 16 MiB in-memory /tmp (deploy/k8s.yaml).

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.70" }
  }
}

variable "environment" {
  type = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production"
  }
}

variable "rotation_lambda_arn" {
  description = "Secrets Manager rotation function of this account (platform-provided)"
  type        = string
}

locals {
  account = { staging = "210987654321", production = "123456789012" }[var.environment]
  prefix  = { staging = "staging", production = "prod" }[var.environment]
}

provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = [local.account] # refuses to apply one environment into another's account
  assume_role {
    role_arn = "arn:aws:iam::${local.account}:role/credit-risk-deployer"
  }
}

resource "aws_kms_key" "ml" {
  description         = "credit-risk ${var.environment}: model images and serving secrets"
  enable_key_rotation = true
}

# Private, encrypted, immutable image repository: the only store of the model artifact.
resource "aws_ecr_repository" "scorer" {
  name                 = "credit-risk/hardened-classifier"
  image_tag_mutability = "IMMUTABLE"
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ml.arn
  }
  image_scanning_configuration {
    scan_on_push = true
  }
}

# Pull: this account's cluster nodes only. Push: this account's release pipeline only.
# No principal "*", so there is no public or cross-environment access.
resource "aws_ecr_repository_policy" "scorer" {
  repository = aws_ecr_repository.scorer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ClusterPull"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account}:role/credit-risk-eks-nodes" }
        Action    = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      },
      {
        Sid       = "PipelinePush"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account}:role/credit-risk-release-pipeline" }
        Action = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
      },
    ]
  })
}

# The serving API key: encrypted with the environment's key, rotated every 90 days.
resource "aws_secretsmanager_secret" "api_key" {
  name       = "${local.prefix}/credit-risk/hardened-classifier/api-key"
  kms_key_id = aws_kms_key.ml.arn
}

resource "aws_secretsmanager_secret_rotation" "api_key" {
  secret_id           = aws_secretsmanager_secret.api_key.id
  rotation_lambda_arn = var.rotation_lambda_arn
  rotation_rules {
    automatically_after_days = 90
  }
}
