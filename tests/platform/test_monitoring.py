"""Prometheus alerting for drift and availability, with promtool replay tests run in CI."""

from __future__ import annotations

import datetime as dt

from mlsvs.checks.platform.monitoring import availability_alerts, drift_alerts, minutes
from mlsvs.discovery import discover
from mlsvs.model.artifact import MonitoringConfig
from mlsvs.model.check import CheckContext
from tests.platform.helpers import write

RULES = """
groups:
  - name: fraud-model-drift
    interval: 1m
    rules:
      - record: model:feature_psi:max
        expr: max by (model, feature) (fraud_feature_psi)
      - alert: FeatureDrift
        expr: max by (model, feature) (fraud_feature_psi) > 0.2
        for: 10m
        labels: {severity: page, team: fraud-ml}
        annotations:
          summary: "Input drift on {{ $labels.feature }} (PSI {{ $value }})"
      - alert: PredictionDrift
        expr: max by (model) (fraud_prediction_psi) > 0.2
        for: 10m
        labels: {severity: page}
  - name: fraud-model-availability
    rules:
      - alert: ScoringLatencyHigh
        expr: histogram_quantile(0.95, sum by (model, le) (rate(inference_request_duration_seconds_bucket[5m]))) > 0.25
        for: 5m
      - alert: ScoringErrorsHigh
        expr: sum by (model) (rate(inference_requests_total{code=~"5.."}[5m])) / sum by (model) (rate(inference_requests_total[5m])) > 0.02
        for: 5m
      - alert: ComputePerQueryHigh
        expr: sum by (model) (rate(inference_cpu_seconds_total[5m])) / sum by (model) (rate(inference_requests_total[5m])) > 0.05
        for: 10m
      - alert: QuotaExhausted
        expr: sum by (principal) (rate(inference_requests_total{code="429"}[5m])) / sum by (principal) (rate(inference_requests_total[5m])) > 0.05
        for: 2m
"""

TESTS = """
rule_files:
  - fraud-model.rules.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'fraud_feature_psi{model="fraud-v7", feature="amount"}'
        values: '0.02x10 0.31x30'
      - series: 'fraud_prediction_psi{model="fraud-v7"}'
        values: '0.01x10 0.27x30'
    alert_rule_test:
      - eval_time: 25m
        alertname: FeatureDrift
        exp_alerts:
          - exp_labels: {severity: page, team: fraud-ml, model: fraud-v7, feature: amount}
      - eval_time: 25m
        alertname: PredictionDrift
        exp_alerts:
          - exp_labels: {severity: page, model: fraud-v7}
  - interval: 1m
    input_series:
      - series: 'inference_requests_total{principal="partner-a", code="429"}'
        values: '0+0x5 0+30x20'
      - series: 'inference_requests_total{principal="partner-a", code="200"}'
        values: '0+100x25'
    alert_rule_test:
      - eval_time: 15m
        alertname: QuotaExhausted
        exp_alerts:
          - exp_labels: {principal: partner-a}
"""

CI = """
name: monitoring
on:
  pull_request:
    paths: ["monitoring/**"]
jobs:
  rules:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - name: Unit-test alert rules
        run: |
          docker run --rm -v "$PWD/monitoring:/m" --entrypoint promtool prom/prometheus:v2.54.1 \\
            test rules /m/fraud-model.tests.yaml
"""


def _run(check, root, **parameters):
    project = discover(root).project
    ctx = CheckContext(project=project, today=dt.date(2026, 12, 1), parameters=parameters)
    outcomes = []
    for target in project.of_type(MonitoringConfig):
        outcomes += check.run(ctx, target)
    return project, outcomes


def _project(tmp_path, rules=RULES, tests=TESTS, ci=CI):
    files = {"monitoring/fraud-model.rules.yaml": rules, "monitoring/fraud-model.tests.yaml": tests}
    if ci:
        files[".github/workflows/monitoring.yml"] = ci
    return write(tmp_path, files)


def test_durations() -> None:
    assert minutes("1h30m") == 90
    assert minutes("90s") == 1.5
    assert minutes("soon") is None


def test_discovered_as_monitoring(tmp_path) -> None:
    project = discover(_project(tmp_path)).project
    kinds = {a.path: a.monitoring for a in project.of_type(MonitoringConfig)}
    assert kinds == {
        "monitoring/fraud-model.rules.yaml": "prometheus_rules",
        "monitoring/fraud-model.tests.yaml": "promtool_test",
    }


def test_drift_and_availability_pass(tmp_path) -> None:
    root = _project(tmp_path)
    _, outcomes = _run(drift_alerts, root, **{"M10.2.1.max_alert_minutes": 60})
    assert sorted(o.status.value for o in outcomes) == ["not_applicable", "pass"]
    _, outcomes = _run(availability_alerts, root, **{"M10.2.2.max_alert_minutes": 15})
    assert sorted(o.status.value for o in outcomes) == ["not_applicable", "pass"]


def test_slow_or_insensitive_drift_alert_fails(tmp_path) -> None:
    root = _project(tmp_path)
    _, outcomes = _run(drift_alerts, root, **{"M10.2.1.max_alert_minutes": 5})  # L3
    assert "fail" in {o.status.value for o in outcomes}
    lax = RULES.replace("(fraud_prediction_psi) > 0.2", "(fraud_prediction_psi) > 0.4")
    root = _project(tmp_path / "lax", rules=lax)
    _, outcomes = _run(drift_alerts, root, **{"M10.2.1.test_shift_psi": 0.25})
    failure = [o for o in outcomes if o.status.value == "fail"]
    assert failure and "PSI threshold 0.4" in failure[0].message


def test_missing_prediction_drift_and_per_principal_quota_fail(tmp_path) -> None:
    rules = RULES.replace("alert: PredictionDrift", "alert: PredictionRateLow").replace(
        "fraud_prediction_psi", "fraud_predictions_total"
    )
    rules = rules.replace("sum by (principal)", "sum")
    root = _project(tmp_path, rules=rules)
    _, drift = _run(drift_alerts, root)
    assert any("no alert on prediction drift" in o.message for o in drift)
    _, availability = _run(availability_alerts, root)
    assert any("not per principal" in o.message for o in availability)


def test_without_replay_in_ci_not_verified(tmp_path) -> None:
    root = _project(tmp_path, ci="")
    _, outcomes = _run(drift_alerts, root)
    assert {o.status.value for o in outcomes} == {"not_applicable", "not_verified"}
    untested = TESTS.split(
        "  - interval: 1m\n    input_series:\n      - series: 'inference", maxsplit=1
    )[0]
    root = _project(tmp_path / "untested", tests=untested)
    _, outcomes = _run(availability_alerts, root)
    assert "not_verified" in {o.status.value for o in outcomes}


def test_broken_rule_file_is_not_verified(tmp_path) -> None:
    root = _project(tmp_path)
    (root / "monitoring/fraud-model.rules.yaml").write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: [unclosed\n"
    )
    _, outcomes = _run(drift_alerts, root)
    statuses = {o.status.value for o in outcomes}
    assert "pass" not in statuses and "not_verified" in statuses


def test_prometheus_rule_objects(tmp_path) -> None:
    import yaml

    groups = yaml.safe_load(RULES)["groups"]
    crd = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "fraud-model", "namespace": "monitoring"},
        "spec": {"groups": groups},
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "fraud-scorer-metrics", "namespace": "fraud-serving"},
        "spec": {"ports": [{"port": 9090}]},
    }
    root = _project(tmp_path)
    (root / "monitoring/fraud-model.rules.yaml").unlink()
    write(root, {"deploy/monitoring.yaml": yaml.safe_dump_all([service, crd], sort_keys=False)})
    project, outcomes = _run(drift_alerts, root)
    kinds = {a.path for a in project.of_type(MonitoringConfig)}
    assert "deploy/monitoring.yaml" not in kinds  # mixed manifest stays Kubernetes
    assert sorted(o.status.value for o in outcomes) == ["pass"]
    write(root, {"deploy/monitoring.yaml": yaml.safe_dump(crd, sort_keys=False)})
    project, outcomes = _run(drift_alerts, root)
    assert {a.path: a.monitoring for a in project.of_type(MonitoringConfig)}[
        "deploy/monitoring.yaml"
    ] == "prometheus_rule_crd"
    assert "pass" in {o.status.value for o in outcomes}
