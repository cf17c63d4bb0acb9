"""Environments in separate accounts, and static credential rotation."""

from __future__ import annotations

from mlsvs.checks.platform.accounts import environments_separated, static_credentials_rotated
from tests.platform.helpers import by_key, run, statuses, write


def _env(account: str, env: str) -> str:
    return f"""
    terraform {{
      backend "s3" {{
        bucket = "acme-tfstate-{env}"
        key    = "ml-platform/terraform.tfstate"
        region = "eu-west-1"
      }}
    }}

    provider "aws" {{
      region              = "eu-west-1"
      allowed_account_ids = ["{account}"]
      assume_role {{
        role_arn = "arn:aws:iam::{account}:role/ml-platform-deployer"
      }}
    }}

    module "platform" {{
      source      = "../../modules/ml-platform"
      environment = "{env}"
    }}
    """


MODULE = """
variable "environment" {
  type = string
}

resource "aws_sagemaker_domain" "studio" {
  domain_name = "ml-${var.environment}"
  auth_mode   = "IAM"
  vpc_id      = "vpc-0abc"
  subnet_ids  = ["subnet-0abc"]
  default_user_settings {
    execution_role = "arn:aws:iam::role/sagemaker"
  }
}
"""


def test_distinct_accounts_per_environment_pass(tmp_path) -> None:
    root = write(
        tmp_path,
        {
            "infra/envs/dev/main.tf": _env("111111111111", "dev"),
            "infra/envs/staging/main.tf": _env("222222222222", "staging"),
            "infra/envs/prod/main.tf": _env("333333333333", "prod"),
            "infra/modules/ml-platform/main.tf": MODULE,
        },
    )
    outcomes = run(environments_separated, root)
    assert statuses(outcomes) == {"pass"}
    assert "production 333333333333" in outcomes[0].message


def test_shared_account_fails(tmp_path) -> None:
    root = write(
        tmp_path,
        {
            "infra/envs/dev/main.tf": _env("111111111111", "dev"),
            "infra/envs/prod/main.tf": _env("111111111111", "prod"),
        },
    )
    outcomes = run(environments_separated, root)
    assert statuses(outcomes) == {"fail"}
    assert "development, production" in outcomes[0].message


def test_environment_map_in_locals(tmp_path) -> None:
    tf = """
    variable "environment" {
      type = string
    }

    locals {
      account = { staging = "210987654321", production = "123456789012" }[var.environment]
    }

    provider "aws" {
      region              = "eu-west-1"
      allowed_account_ids = [local.account]
    }
    """
    root = write(tmp_path, {"deploy/platform.tf": tf})
    assert statuses(run(environments_separated, root)) == {"pass"}
    shared = tf.replace('production = "123456789012"', 'production = "210987654321"')
    (root / "deploy/platform.tf").write_text(shared)
    assert statuses(run(environments_separated, root)) == {"fail"}


def test_single_environment_is_not_verified(tmp_path) -> None:
    root = write(tmp_path, {"infra/main.tf": _env("111111111111", "prod")})
    assert statuses(run(environments_separated, root)) == {"not_verified"}


ROTATION = """
resource "aws_secretsmanager_secret" "feature_store_db" {
  name       = "prod/ml/feature-store/db"
  kms_key_id = aws_kms_key.secrets.arn
}

resource "aws_secretsmanager_secret_rotation" "feature_store_db" {
  secret_id           = aws_secretsmanager_secret.feature_store_db.id
  rotation_lambda_arn = aws_lambda_function.rotate_postgres.arn
  rotation_rules {
    automatically_after_days = 30
  }
}

resource "aws_secretsmanager_secret" "labeling_vendor" {
  name = "prod/ml/labeling-vendor/api-key"
}

resource "aws_secretsmanager_secret_rotation" "labeling_vendor" {
  secret_id           = aws_secretsmanager_secret.labeling_vendor.id
  rotation_lambda_arn = aws_lambda_function.rotate_vendor.arn
  rotation_rules {
    schedule_expression = "rate(120 days)"
  }
}

resource "aws_secretsmanager_secret" "hub_token" {
  name = "prod/ml/hub-token"
}

resource "aws_iam_user" "ci" {
  name = "ml-ci"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}
"""


def test_rotation_within_the_limit(tmp_path) -> None:
    root = write(tmp_path, {"infra/secrets.tf": ROTATION})
    outcomes = by_key(
        run(static_credentials_rotated, root, **{"M9.3.5.max_credential_age_days": 90})
    )
    assert outcomes["aws_secretsmanager_secret.feature_store_db"] == "pass"
    assert outcomes["aws_secretsmanager_secret.labeling_vendor"] == "fail"  # 120 > 90
    assert outcomes["aws_secretsmanager_secret.hub_token"] == "fail"  # no rotation
    assert outcomes["aws_iam_access_key.ci"] == "fail"
    strict = by_key(run(static_credentials_rotated, root, **{"M9.3.5.max_credential_age_days": 20}))
    assert strict["aws_secretsmanager_secret.feature_store_db"] == "fail"  # L3-style limit
