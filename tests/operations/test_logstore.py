"""Inference logs minimised in time (Terraform retention) and content (collector pipeline)
(MLC1090)."""

from __future__ import annotations

from mlsvs.checks.operations.logstore import inference_logs_minimised
from tests.operations.helpers import put
from tests.platform.helpers import by_key, run

TERRAFORM = """
resource "aws_cloudwatch_log_group" "inference" {
  name              = "/ml/fraud-scorer/inference"
  retention_in_days = 30
  kms_key_id        = aws_kms_key.logs.arn
  tags = { data_classification = "personal" }
}

resource "aws_cloudwatch_log_group" "platform" {
  name = "/platform/ingress"
}

resource "aws_s3_bucket" "inference_archive" {
  bucket = "acme-fraud-inference-archive"
}

resource "aws_s3_bucket_lifecycle_configuration" "inference_archive" {
  bucket = aws_s3_bucket.inference_archive.id
  rule {
    id     = "expire-inference-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = 60
    }
  }
}

resource "aws_kms_key" "logs" {
  description         = "inference logs"
  enable_key_rotation = true
}
"""

OTEL = """
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 0.0.0.0:4317}
processors:
  batch: {}
  attributes/pii:
    actions:
      - key: user.email
        action: delete
      - key: client.address
        action: hash
  transform/prompt:
    log_statements:
      - context: log
        statements:
          - replace_pattern(attributes["prompt"], "^.*$", "[redacted]")
exporters:
  awscloudwatchlogs:
    log_group_name: /ml/fraud-scorer/inference
    log_stream_name: scorer
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [attributes/pii, transform/prompt, batch]
      exporters: [awscloudwatchlogs]
"""

VECTOR = '''
[sources.scorer]
type = "file"
include = ["/var/log/scorer/*.jsonl"]

[transforms.minimise]
type = "remap"
inputs = ["scorer"]
source = """
. = parse_json!(.message)
del(.user.email)
.client_ip = sha2(string!(.client_ip))
.prompt = redact(.prompt, filters: ["pattern"], redactor: "full", patterns: [r'.+'])
"""

[sinks.archive]
type = "aws_s3"
inputs = ["minimise"]
bucket = "acme-fraud-inference-archive"
'''

CONFIG = {
    "privacy": {
        "inference_logs": {
            "shipper": ["observability/otel-collector.yaml"],
            "personal_fields": ["user.email", "client.address", "prompt"],
        }
    }
}


def _project(tmp_path, terraform=TERRAFORM, otel=OTEL):
    put(tmp_path, "infra/logging.tf", terraform)
    put(tmp_path, "observability/otel-collector.yaml", otel)
    return tmp_path


def test_short_retention_and_masked_fields_pass(tmp_path) -> None:
    outcomes = by_key(run(inference_logs_minimised, _project(tmp_path), settings=CONFIG))
    assert outcomes == {
        "retention:aws_cloudwatch_log_group.inference": "pass",
        "retention:aws_s3_bucket.inference_archive": "pass",
        "content": "pass",
    }


def test_vector_remap_minimises_fields(tmp_path) -> None:
    _project(tmp_path)
    put(tmp_path, "observability/vector.toml", VECTOR)
    settings = {
        "privacy": {
            "inference_logs": {
                "shipper": ["observability/vector.toml"],
                "personal_fields": ["user.email", "client_ip", "prompt"],
            }
        }
    }
    assert by_key(run(inference_logs_minimised, tmp_path, settings=settings))["content"] == "pass"
    settings["privacy"]["inference_logs"]["personal_fields"].append("account_number")
    outcomes = run(inference_logs_minimised, tmp_path, settings=settings)
    content = next(o for o in outcomes if o.key == "content")
    assert content.status.value == "fail" and "account_number" in content.message


def test_long_or_missing_retention_and_unmasked_field_fail(tmp_path) -> None:
    long = TERRAFORM.replace("retention_in_days = 30", "retention_in_days = 365").replace(
        "filter {}", 'filter {\n      prefix = "tmp/"\n    }'
    )
    outcomes = run(inference_logs_minimised, _project(tmp_path, terraform=long), settings=CONFIG)
    status = {o.key: (o.status.value, o.message) for o in outcomes}
    assert status["retention:aws_cloudwatch_log_group.inference"][0] == "fail"
    assert "365 days" in status["retention:aws_cloudwatch_log_group.inference"][1]
    assert "prefix" in status["retention:aws_s3_bucket.inference_archive"][1]
    forever = TERRAFORM.replace("  retention_in_days = 30\n", "")
    outcomes = by_key(
        run(inference_logs_minimised, _project(tmp_path, terraform=forever), settings=CONFIG)
    )
    assert outcomes["retention:aws_cloudwatch_log_group.inference"] == "fail"
    # L3 allows 30 days: the 60-day archive fails
    outcomes = by_key(
        run(
            inference_logs_minimised,
            _project(tmp_path),
            settings=CONFIG,
            **{"M7.3.3.max_log_retention_days": 30},
        )
    )
    assert outcomes["retention:aws_s3_bucket.inference_archive"] == "fail"
    # the processor exists but is not in the logs pipeline
    unused = OTEL.replace(
        "processors: [attributes/pii, transform/prompt, batch]",
        "processors: [transform/prompt, batch]",
    )
    outcomes = run(inference_logs_minimised, _project(tmp_path, otel=unused), settings=CONFIG)
    content = next(o for o in outcomes if o.key == "content")
    assert content.status.value == "fail"
    assert "user.email, client.address" in content.message


def test_unparsable_or_unconfigured_is_not_verified(tmp_path) -> None:
    _project(tmp_path, otel="processors:\n  attributes/pii: [unclosed\n")
    outcomes = by_key(run(inference_logs_minimised, tmp_path, settings=CONFIG))
    assert outcomes["content"] == "not_verified"
    assert by_key(run(inference_logs_minimised, tmp_path))["content"] == "not_verified"
    (tmp_path / "infra/logging.tf").write_text(
        'resource "aws_cloudwatch_log_group" "inference" {\n'
    )
    outcomes = run(inference_logs_minimised, tmp_path, settings=CONFIG)
    assert "pass" not in {o.status.value for o in outcomes}
    assert "not_verified" in {o.status.value for o in outcomes}
    expr = TERRAFORM.replace("retention_in_days = 30", "retention_in_days = var.log_days")
    outcomes = by_key(
        run(inference_logs_minimised, _project(tmp_path, terraform=expr), settings=CONFIG)
    )
    assert outcomes["retention:aws_cloudwatch_log_group.inference"] == "not_verified"
