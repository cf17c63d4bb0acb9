"""Extraction/probing alerts per principal (MLC1070) and feedback manipulation alerts (MLC1071)
from Prometheus rules with promtool replay tests run in CI."""

from __future__ import annotations

import datetime as dt

from mlsvs.checks.operations.abuse import extraction_alerts, feedback_alerts
from mlsvs.discovery import discover
from mlsvs.model.artifact import MonitoringConfig
from mlsvs.model.check import CheckContext
from tests.platform.helpers import write

RULES = """
groups:
  - name: scoring-api-abuse
    interval: 1m
    rules:
      - record: principal:inference_requests:increase1h
        expr: sum by (principal) (increase(inference_requests_total[1h]))
      - alert: ExtractionVolumePerPrincipal
        expr: sum by (principal) (increase(inference_requests_total[1h])) > 4000
        for: 0m
        labels: {severity: page, team: ml-security}
        annotations:
          summary: "{{ $labels.principal }} sent {{ $value }} queries in 1h"
          runbook_url: https://runbooks.acme.example/ml/extraction
      - alert: LowQueryDiversityPerPrincipal
        expr: avg by (principal) (inference_query_min_distance_to_train) < 0.05 and on (principal) sum by (principal) (rate(inference_requests_total[10m])) > 0.5
        for: 5m
        labels: {severity: ticket}
        annotations:
          summary: "{{ $labels.principal }}: mean nearest-neighbour distance {{ $value | humanize }}"
  - name: feedback-loop
    rules:
      - alert: FeedbackBurst
        expr: sum by (source) (rate(feedback_events_total[15m])) > 3 * sum by (source) (rate(feedback_events_total[7d] offset 1d))
        for: 10m
        annotations:
          summary: "feedback rate from {{ $labels.source }} is {{ $value }}"
      - alert: FeedbackLabelShift
        expr: max(feedback_label_psi{window="1h"}) > 0.2
        for: 15m
        annotations:
          summary: "feedback label PSI {{ $value }}"
"""

TESTS = """
rule_files:
  - scoring-api.rules.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'inference_requests_total{principal="key-7f3a", code="200"}'
        values: '0+80x70'
    alert_rule_test:
      - eval_time: 65m
        alertname: ExtractionVolumePerPrincipal
        exp_alerts:
          - exp_labels: {severity: page, team: ml-security, principal: key-7f3a}
  - interval: 1m
    input_series:
      - series: 'feedback_label_psi{window="1h"}'
        values: '0.01x10 0.35x30'
    alert_rule_test:
      - eval_time: 35m
        alertname: FeedbackLabelShift
        exp_alerts:
          - exp_labels: {window: "1h"}
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
      - run: |
          docker run --rm -v "$PWD/monitoring:/m" --entrypoint promtool prom/prometheus:v2.54.1 \\
            test rules /m/scoring-api.tests.yaml
"""


def _run(check, root, **parameters):
    project = discover(root).project
    ctx = CheckContext(project=project, today=dt.date(2026, 12, 1), parameters=parameters)
    outcomes = []
    for target in project.of_type(MonitoringConfig):
        outcomes += check.run(ctx, target)
    return [o for o in outcomes if o.status.value != "not_applicable"]


def _project(tmp_path, rules=RULES, tests=TESTS, ci=CI):
    files = {"monitoring/scoring-api.rules.yaml": rules, "monitoring/scoring-api.tests.yaml": tests}
    if ci:
        files[".github/workflows/monitoring.yml"] = ci
    return write(tmp_path, files)


def test_extraction_alerts_pass_and_respect_the_query_limit(tmp_path) -> None:
    root = _project(tmp_path)
    outcomes = _run(extraction_alerts, root, **{"M10.2.4.max_queries_before_alert": 5000})
    assert [o.status.value for o in outcomes] == ["pass"], outcomes
    outcomes = _run(extraction_alerts, root, **{"M10.2.4.max_queries_before_alert": 1000})  # L3
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "about 4000 queries" in outcomes[0].message


def test_extraction_alerts_missing_signal_or_metadata_fail(tmp_path) -> None:
    global_only = RULES.replace(" by (principal)", "").replace(" on (principal)", "")
    outcomes = _run(extraction_alerts, _project(tmp_path / "a", rules=global_only))
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "no per-principal alert on query volume" in outcomes[0].message
    silent = RULES.replace(
        'summary: "{{ $labels.principal }} sent {{ $value }} queries in 1h"',
        'summary: "too many queries"',
    )
    outcomes = _run(extraction_alerts, _project(tmp_path / "b", rules=silent))
    assert "ExtractionVolumePerPrincipal do not carry" in outcomes[0].message
    # a rate threshold converts to queries: 2/s over a 1h window and 10m 'for' is 8400 queries
    rated = RULES.replace(
        "sum by (principal) (increase(inference_requests_total[1h])) > 4000\n        for: 0m",
        "sum by (principal) (rate(inference_requests_total[1h])) > 2\n        for: 10m",
    )
    outcomes = _run(extraction_alerts, _project(tmp_path / "c", rules=rated))
    assert "about 8400 queries" in outcomes[0].message


def test_extraction_without_replay_or_ci_is_not_verified(tmp_path) -> None:
    outcomes = _run(extraction_alerts, _project(tmp_path / "a", ci=None))
    assert [o.status.value for o in outcomes] == ["not_verified"]
    untested = TESTS.replace("alertname: ExtractionVolumePerPrincipal", "alertname: Other")
    outcomes = _run(extraction_alerts, _project(tmp_path / "b", tests=untested))
    assert [o.status.value for o in outcomes] == ["not_verified"]


def test_feedback_alerts_pass_or_fail_on_missing_distribution(tmp_path) -> None:
    outcomes = _run(feedback_alerts, _project(tmp_path / "a"))
    assert [o.status.value for o in outcomes] == ["pass"], outcomes
    no_distribution = RULES.replace(
        'max(feedback_label_psi{window="1h"}) > 0.2', "max(process_open_fds) > 1000"
    )
    outcomes = _run(feedback_alerts, _project(tmp_path / "b", rules=no_distribution))
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "distribution of feedback labels" in outcomes[0].message


def test_unparsable_rules_are_not_verified(tmp_path) -> None:
    root = _project(tmp_path)
    broken = RULES.replace("team: ml-security}", "team: ml-security")  # unclosed flow mapping
    (root / "monitoring/scoring-api.rules.yaml").write_text(broken)
    for check in (extraction_alerts, feedback_alerts):
        statuses = {o.status.value for o in _run(check, root)}
        assert "not_verified" in statuses
        assert "pass" not in statuses
