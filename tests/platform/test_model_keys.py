"""Hosted model credentials scoped and capped (MLC1001, M5.3.1): Bedrock IAM and Azure OpenAI."""

from __future__ import annotations

from mlsvs.checks.platform.model_keys import hosted_model_credentials_scoped
from tests.platform.helpers import by_key, run, statuses, write

BEDROCK = """
provider "aws" {
  region = "eu-central-1"
}

resource "aws_iam_role" "assistant" {
  name = "claims-assistant-prod"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "invoke" {
  name = "invoke-claude"
  role = aws_iam_role.assistant.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = [%s]
      Resource = [%s]
    }]
  })
}

data "aws_iam_policy_document" "batch" {
  statement {
    effect    = "Allow"
    actions   = ["bedrock:InvokeModel"]
    resources = ["arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0"]
  }
}

resource "aws_iam_policy" "batch" {
  name   = "embeddings-batch"
  policy = data.aws_iam_policy_document.batch.json
}

resource "aws_iam_policy" "logs" {
  name = "write-logs"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = ["*"] }]
  })
}
"""

NAMED_ACTIONS = '"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"'
NAMED_MODEL = (
    '"arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"'
)

BUDGET = """
resource "aws_budgets_budget" "bedrock" {
  name         = "bedrock-monthly"
  budget_type  = "COST"
  limit_amount = "400"
  limit_unit   = "USD"
  time_unit    = "MONTHLY"
  cost_filter {
    name   = "Service"
    values = ["Amazon Bedrock"]
  }
  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = ["ml-platform@example.com"]
  }
}
"""

AZURE = """
resource "azurerm_cognitive_account" "openai" {
  name                  = "oai-claims-prod"
  location              = "swedencentral"
  resource_group_name   = "rg-claims-prod"
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "oai-claims-prod"
  %s
}

resource "azurerm_cognitive_deployment" "summariser" {
  name                   = "summariser"
  cognitive_account_id   = azurerm_cognitive_account.openai.id
  version_upgrade_option = "NoAutoUpgrade"
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-08-06"
  }
  sku {
    name     = "Standard"
    %s
  }
}
"""


def test_bedrock_named_models_with_budget_pass(tmp_path) -> None:
    root = write(
        tmp_path,
        {"infra/iam.tf": BEDROCK % (NAMED_ACTIONS, NAMED_MODEL), "infra/budget.tf": BUDGET},
    )
    assert by_key(run(hosted_model_credentials_scoped, root)) == {
        "aws_iam_role_policy.invoke": "pass",
        "aws_iam_policy.batch": "pass",
    }


def test_bedrock_wildcards_and_missing_budget_fail(tmp_path) -> None:
    root = write(
        tmp_path, {"infra/iam.tf": BEDROCK % ('"bedrock:*"', '"*"'), "infra/budget.tf": BUDGET}
    )
    outcomes = run(hosted_model_credentials_scoped, root)
    assert by_key(outcomes) == {
        "aws_iam_role_policy.invoke": "fail",
        "aws_iam_policy.batch": "pass",
    }
    message = next(o.message for o in outcomes if o.key == "aws_iam_role_policy.invoke")
    assert "bedrock:*" in message and "covers every model" in message
    # Named grants but no budget: uncapped.
    (tmp_path / "infra/budget.tf").unlink()
    write(tmp_path, {"infra/iam.tf": BEDROCK % (NAMED_ACTIONS, NAMED_MODEL)})
    outcomes = run(hosted_model_credentials_scoped, root)
    assert statuses(outcomes) == {"fail"}
    assert all("caps Bedrock" in o.message for o in outcomes)


def test_azure_openai_keys_off_and_capacity(tmp_path) -> None:
    root = write(
        tmp_path, {"infra/openai.tf": AZURE % ("local_auth_enabled = false", "capacity = 30")}
    )
    assert by_key(run(hosted_model_credentials_scoped, root)) == {
        "azurerm_cognitive_account.openai": "pass",
        "azurerm_cognitive_deployment.summariser": "pass",
    }
    write(tmp_path, {"infra/openai.tf": AZURE % ("", "capacity = var.tpm")})
    assert by_key(run(hosted_model_credentials_scoped, root)) == {
        "azurerm_cognitive_account.openai": "fail",
        "azurerm_cognitive_deployment.summariser": "fail",
    }


def test_no_credentials_or_unparsable_is_not_verified(tmp_path) -> None:
    root = write(
        tmp_path, {"infra/net.tf": 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n'}
    )
    assert statuses(run(hosted_model_credentials_scoped, root)) == {"abstained"}
    write(tmp_path, {"infra/iam.tf": 'resource "aws_iam_policy" "x" {\n  policy = \n'})
    outcomes = run(hosted_model_credentials_scoped, root)
    assert "not_verified" in statuses(outcomes) and "pass" not in statuses(outcomes)
    write(
        tmp_path,
        {"infra/iam.tf": 'resource "aws_iam_policy" "x" {\n  policy = var.policy_json\n}\n'},
    )
    outcomes = run(hosted_model_credentials_scoped, root)
    assert statuses(outcomes) == {"not_verified"}
    assert any(o.key == "unreadable-policies" for o in outcomes)
