"""Hosted model deployments (Azure OpenAI, Bedrock) pinned in Terraform."""

from __future__ import annotations

from mlsvs.checks.platform.hosted import hosted_models_pinned
from tests.platform.helpers import by_key, run, statuses, write

AZURE = """
resource "azurerm_resource_group" "ml" {
  name     = "rg-claims-assistant-prod"
  location = "westeurope"
}

resource "azurerm_cognitive_account" "openai" {
  name                  = "oai-claims-prod"
  location              = "swedencentral"
  resource_group_name   = azurerm_resource_group.ml.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  local_auth_enabled    = false
  custom_subdomain_name = "oai-claims-prod"
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
    capacity = 30
  }
}

resource "azurerm_cognitive_deployment" "router" {
  name                 = "router"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {
    format = "OpenAI"
    name   = "gpt-4o-mini"
  }
  sku {
    name     = "Standard"
    capacity = 10
  }
}
"""

BEDROCK = """
provider "aws" {
  region = "eu-central-1"
}

resource "aws_bedrockagent_agent" "triage" {
  agent_name              = "claims-triage"
  agent_resource_role_arn = "arn:aws:iam::123456789012:role/bedrock-agent-triage"
  foundation_model        = "anthropic.claude-3-5-sonnet-20240620-v1:0"
  instruction             = "Classify incoming claims and route them to the right queue."
}

resource "aws_bedrockagent_agent" "drafts" {
  agent_name              = "claims-drafts"
  agent_resource_role_arn = "arn:aws:iam::123456789012:role/bedrock-agent-drafts"
  foundation_model        = "anthropic.claude-v2"
  instruction             = "Draft replies to claimants for human review before sending."
}
"""


def test_azure_openai_deployments(tmp_path) -> None:
    root = write(tmp_path, {"infra/openai.tf": AZURE})
    outcomes = run(hosted_models_pinned, root)
    result = by_key(outcomes)
    assert result == {
        "azurerm_cognitive_deployment.summariser": "pass",
        "azurerm_cognitive_deployment.router": "fail",
    }
    router = next(o for o in outcomes if o.status.value == "fail").message
    assert "no literal version" in router and "OnceNewDefaultVersionAvailable" in router


def test_bedrock_agents(tmp_path) -> None:
    root = write(tmp_path, {"infra/bedrock.tf": BEDROCK})
    assert by_key(run(hosted_models_pinned, root)) == {
        "aws_bedrockagent_agent.triage": "pass",
        "aws_bedrockagent_agent.drafts": "fail",
    }


def test_no_hosted_models(tmp_path) -> None:
    root = write(tmp_path, {"infra/main.tf": 'resource "aws_s3_bucket" "m" {\n  bucket = "m"\n}\n'})
    assert statuses(run(hosted_models_pinned, root)) == {"not_applicable"}
