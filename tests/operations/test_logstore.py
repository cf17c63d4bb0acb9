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


ACCESS = (
    TERRAFORM
    + """
resource "aws_iam_role" "fraud_oncall" {
  name               = "fraud-oncall"
  assume_role_policy = data.aws_iam_policy_document.sso_assume.json
}

resource "aws_iam_role" "platform_ops" {
  name               = "platform-ops"
  assume_role_policy = data.aws_iam_policy_document.sso_assume.json
}

data "aws_iam_policy_document" "sso_assume" {
  statement {
    actions = ["sts:AssumeRoleWithSAML"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:saml-provider/okta"]
    }
  }
}

resource "aws_iam_policy" "read_inference_logs" {
  name = "read-inference-logs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery"]
      Resource = "${aws_cloudwatch_log_group.inference.arn}:*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "oncall_reads" {
  role       = aws_iam_role.fraud_oncall.name
  policy_arn = aws_iam_policy.read_inference_logs.arn
}

resource "aws_iam_role_policy" "ops_ingress_logs" {
  role = aws_iam_role.platform_ops.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:GetLogEvents"]
      Resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/platform/*"
    }]
  })
}
"""
)
READERS = {
    "privacy": {
        "inference_logs": {
            "readers": [
                {
                    "principal": "aws_iam_role.fraud_oncall",
                    "need": "incident triage of scoring errors (RUN-114)",
                },
            ]
        }
    }
}


def test_only_listed_readers_pass(tmp_path) -> None:
    from mlsvs.checks.operations.logstore import inference_logs_restricted

    put(tmp_path, "infra/logging.tf", ACCESS)
    outcomes = run(inference_logs_restricted, tmp_path, settings=READERS)
    assert by_key(outcomes) == {"access": "pass"}, outcomes
    assert "aws_iam_role.fraud_oncall" in outcomes[0].message


def test_broad_or_unlisted_readers_fail(tmp_path) -> None:
    from mlsvs.checks.operations.logstore import inference_logs_restricted

    wide = ACCESS.replace("log-group:/platform/*", "log-group:/ml/*")
    put(tmp_path, "infra/logging.tf", wide)
    outcome = run(inference_logs_restricted, tmp_path, settings=READERS)[0]
    assert outcome.status.value == "fail" and "aws_iam_role.platform_ops" in outcome.message
    managed = (
        ACCESS
        + """
resource "aws_iam_role_policy_attachment" "ops_readonly" {
  role       = aws_iam_role.platform_ops.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_s3_bucket_policy" "archive" {
  bucket = aws_s3_bucket.inference_archive.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.inference_archive.arn}/*"
    }]
  })
}
"""
    )
    put(tmp_path, "infra/logging.tf", managed)
    outcome = run(inference_logs_restricted, tmp_path, settings=READERS)[0]
    assert outcome.status.value == "fail"
    assert "lets anyone ('*') read aws_s3_bucket.inference_archive" in outcome.message
    assert "aws_iam_role.platform_ops" in outcome.message
    no_need = {
        "privacy": {"inference_logs": {"readers": [{"principal": "aws_iam_role.fraud_oncall"}]}}
    }
    put(tmp_path, "infra/logging.tf", ACCESS)
    outcome = run(inference_logs_restricted, tmp_path, settings=no_need)[0]
    assert "without a recorded need" in outcome.message


def test_access_unreadable_or_absent_is_not_verified(tmp_path) -> None:
    from mlsvs.checks.operations.logstore import inference_logs_restricted

    assert by_key(run(inference_logs_restricted, tmp_path)) == {"no-infrastructure": "abstained"}
    put(
        tmp_path,
        "infra/logging.tf",
        ACCESS.replace(
            'policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n      Action   = ["logs:GetLogEvents", "logs:FilterLogEvents"',
            'policy = var.log_reader_policy\n  unused = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n      Action   = ["logs:GetLogEvents", "logs:FilterLogEvents"',
        ),
    )
    outcomes = by_key(run(inference_logs_restricted, tmp_path, settings=READERS))
    assert outcomes == {"access": "not_verified"}
