"""Prediction channels authenticate writers (MLC1041, M8.4.2): MSK, ElastiCache, SQS/SNS in
Terraform and CloudFormation, and Redis/Kafka/RabbitMQ in compose files."""

from __future__ import annotations

from mlsvs.checks.platform.channels import prediction_channels_authenticated as check
from tests.platform.helpers import by_key, run, write

PROVIDERS = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.70" }
  }
}
"""

SECURE_TF = (
    PROVIDERS
    + """
resource "aws_msk_cluster" "predictions" {
  cluster_name           = "credit-predictions"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 3
  broker_node_group_info {
    instance_type   = "kafka.m5.large"
    client_subnets  = ["subnet-0a1b2c3d", "subnet-1a2b3c4d", "subnet-2a3b4c5d"]
    security_groups = ["sg-0123456789abcdef0"]
  }
  encryption_info {
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }
  client_authentication {
    unauthenticated = false
    sasl {
      iam = true
    }
  }
}

resource "aws_elasticache_replication_group" "score_cache" {
  replication_group_id       = "score-cache"
  description                = "cached credit scores"
  node_type                  = "cache.t4g.small"
  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  auth_token                 = "${var.redis_token}"
}

resource "aws_sqs_queue" "decisions" {
  name                      = "credit-decisions"
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "decisions" {
  queue_url = aws_sqs_queue.decisions.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:role/scoring-service" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.decisions.arn
    }]
  })
}
"""
)

OPEN_TF = (
    PROVIDERS
    + """
resource "aws_msk_cluster" "predictions" {
  cluster_name           = "credit-predictions"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 3
  broker_node_group_info {
    instance_type  = "kafka.m5.large"
    client_subnets = ["subnet-0a1b2c3d"]
  }
  encryption_info {
    encryption_in_transit {
      client_broker = "TLS_PLAINTEXT"
    }
  }
}

resource "aws_elasticache_replication_group" "score_cache" {
  replication_group_id = "score-cache"
  description          = "cached credit scores"
  node_type            = "cache.t4g.small"
}

resource "aws_sns_topic" "decisions" {
  name = "credit-decisions"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "sns:Publish"
      Resource  = "*"
    }]
  })
}
"""
)

COMPOSE = """
services:
  scorer:
    image: ghcr.io/acme/credit-scorer@sha256:4b7c0f5e9d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4
    depends_on: [cache, broker, queue]
  cache:
    image: redis:7.2-alpine
    command: ["redis-server", "--appendonly", "yes"]
  broker:
    image: bitnami/kafka:3.7
    environment:
      KAFKA_CFG_LISTENERS: "CLIENT://:9092,CONTROLLER://:9093"
      KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP: "CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  queue:
    image: rabbitmq:3.13-management
"""

COMPOSE_SECURE = """
services:
  cache:
    image: redis:7.2-alpine
    command: redis-server --requirepass "${REDIS_PASSWORD}" --appendonly yes
  broker:
    image: bitnami/kafka:3.7
    environment:
      - KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP=CLIENT:SASL_SSL,CONTROLLER:SSL
  queue:
    image: rabbitmq:3.13-management
    environment:
      RABBITMQ_DEFAULT_USER: scoring
      RABBITMQ_DEFAULT_PASS_FILE: /run/secrets/rabbit_pass
"""


def test_authenticated_channels_pass(tmp_path):
    write(tmp_path, {"infra/main.tf": SECURE_TF, "docker-compose.yml": COMPOSE_SECURE})
    got = by_key(run(check, tmp_path))
    assert set(got.values()) == {"pass"}, got
    assert "aws_msk_cluster.predictions" in got and "aws_sqs_queue.decisions" in got
    assert len([k for k in got if "docker-compose.yml" in k]) == 3


def test_plaintext_unauthenticated_and_public_channels_fail(tmp_path):
    write(tmp_path, {"infra/main.tf": OPEN_TF, "docker-compose.yml": COMPOSE})
    outcomes = run(check, tmp_path)
    got = by_key(outcomes)
    assert got["aws_msk_cluster.predictions"] == "fail"
    assert got["aws_elasticache_replication_group.score_cache"] == "fail"
    assert got["aws_sns_topic.decisions"] == "fail"
    compose = {k: v for k, v in got.items() if "docker-compose.yml" in k}
    assert set(compose.values()) == {"fail"} and len(compose) == 3
    text = " ".join(o.message for o in outcomes)
    assert "TLS_PLAINTEXT" in text and "guest" in text and "CLIENT:PLAINTEXT" in text


def test_no_channel_or_no_files_is_not_verified_and_broken_files_are_named(tmp_path):
    write(tmp_path, {"infra/main.tf": PROVIDERS})
    assert by_key(run(check, tmp_path)) == {"no-channel": "abstained"}
    empty = tmp_path / "e"
    write(empty, {"README.md": "# scorer\n"})
    assert by_key(run(check, empty)) == {"no-infrastructure": "abstained"}
    broken = tmp_path / "b"
    write(broken, {"infra/main.tf": SECURE_TF + 'resource "aws_sqs_queue" "x" {\n  name = \n'})
    got = by_key(run(check, broken))
    assert got.get("unread:infra/main.tf") == "not_verified" and "pass" not in got.values()
