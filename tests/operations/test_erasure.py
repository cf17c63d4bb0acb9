"""Erasure requests are followed by retraining or unlearning within the limit (MLC1065)."""

from __future__ import annotations

from mlsvs.checks.operations.erasure import erasure_retraining, erasure_traced
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import run, statuses

CONFIG = {
    "privacy": {
        "erasure": {
            "requests": "privacy/erasure-requests.jsonl",
            "training": "ml/training-runs.jsonl",
        }
    }
}
REQUESTS = [
    {
        "request_id": "DSR-2026-0141",
        "subject_ref": "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "received_at": "2026-10-02T08:15:00Z",
        "erased_at": "2026-10-03T12:00:00Z",
        "status": "closed",
        "affected_datasets": ["transactions@v41", "transactions@v42"],
        "affected_models": ["fraud-gbm", "fraud-gbm-small"],
    },
    {
        "request_id": "DSR-2026-0150",
        "received_at": "2026-11-21T10:00:00Z",
        "status": "open",
        "affected_models": ["fraud-gbm"],
    },
    {
        "request_id": "DSR-2026-0152",
        "received_at": "2026-11-01T10:00:00Z",
        "status": "closed",
        "affected_models": [],
    },
]
RUNS = [
    {
        "run_id": "mlflow:8a1c",
        "model": "fraud-gbm",
        "kind": "retrain",
        "started_at": "2026-10-20T01:00:00Z",
        "completed_at": "2026-10-20T03:12:00Z",
        "erasure_requests": ["DSR-2026-0141"],
        "model_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
    {
        "run_id": "mlflow:8a2f",
        "model": "fraud-gbm-small",
        "kind": "retrain",
        "data_snapshot_at": "2026-10-10T00:00:00Z",
        "completed_at": "2026-10-11T02:00:00Z",
    },
]


def _project(tmp_path, requests, runs):
    put(tmp_path, "privacy/erasure-requests.jsonl", jsonl(requests))
    put(tmp_path, "ml/training-runs.jsonl", jsonl(runs))
    return tmp_path


def test_every_affected_model_retrained_in_time_passes(tmp_path) -> None:
    outcomes = run(erasure_retraining, _project(tmp_path, REQUESTS, RUNS), settings=CONFIG)
    assert statuses(outcomes) == {"pass"}, outcomes
    assert "3 erasure request(s)" in outcomes[0].message


def test_missing_late_or_overdue_retraining_fails(tmp_path) -> None:
    # the small model's retrain used a snapshot from before the erasure
    stale = [RUNS[0], {**RUNS[1], "data_snapshot_at": "2026-10-01T00:00:00Z"}]
    outcomes = run(erasure_retraining, _project(tmp_path, REQUESTS, stale), settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    assert "DSR-2026-0141: no retraining or unlearning of fraud-gbm-small" in outcomes[0].message
    late = [{**RUNS[0], "completed_at": "2026-11-15T00:00:00Z"}, RUNS[1]]
    outcomes = run(erasure_retraining, _project(tmp_path, REQUESTS, late), settings=CONFIG)
    assert "fraud-gbm retrained after 43 days" in outcomes[0].message
    # a stricter limit makes the October retrain late too
    outcomes = run(
        erasure_retraining,
        _project(tmp_path, REQUESTS, RUNS),
        settings=CONFIG,
        **{"M7.3.5.max_erasure_days": 7},
    )
    assert statuses(outcomes) == {"fail"}
    overdue = [
        *REQUESTS,
        {**REQUESTS[1], "request_id": "DSR-2026-0120", "received_at": "2026-09-01T00:00:00Z"},
    ]
    outcomes = run(erasure_retraining, _project(tmp_path, overdue, RUNS), settings=CONFIG)
    assert "DSR-2026-0120" in outcomes[0].message
    assert "30 days have passed" in outcomes[0].message


def test_unconfigured_incomplete_or_unparsable_is_not_verified(tmp_path) -> None:
    root = _project(tmp_path, REQUESTS, RUNS)
    assert statuses(run(erasure_retraining, root)) == {"abstained"}
    no_models = [{k: v for k, v in REQUESTS[0].items() if k != "affected_models"}]
    outcomes = run(erasure_retraining, _project(tmp_path, no_models, RUNS), settings=CONFIG)
    assert statuses(outcomes) == {"not_verified"}
    put(tmp_path, "ml/training-runs.jsonl", '{"run_id": "mlflow:8a1c", "model": ')
    outcomes = run(erasure_retraining, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"not_verified"}


LINEAGE = [
    {"dataset": "transactions@v42", "derived_from": ["transactions@v41"], "step": "dedupe"},
    {"dataset": "features@v42", "derived_from": ["transactions@v42"], "step": "featurise"},
    {"dataset": "holdout@v3", "derived_from": ["claims@v9"], "step": "split"},
]


def _traced(tmp_path, requests, runs, lineage=LINEAGE):
    _project(tmp_path, requests, runs)
    put(tmp_path, "lineage/datasets.jsonl", jsonl(lineage))
    settings = {
        "privacy": {
            "erasure": {**CONFIG["privacy"]["erasure"], "lineage": "lineage/datasets.jsonl"}
        }
    }
    return run(erasure_traced, tmp_path, settings=settings)


TRACED = [
    {**REQUESTS[0], "affected_datasets": ["transactions@v41", "transactions@v42", "features@v42"]},
]
TRAINED = [
    {**RUNS[0], "datasets": ["features@v42"]},
    {**RUNS[1], "datasets": ["transactions@v42"]},
    {
        "run_id": "mlflow:77aa",
        "model": "claims-triage",
        "kind": "retrain",
        "completed_at": "2026-10-01T00:00:00Z",
        "datasets": ["holdout@v3"],
    },
]


def test_complete_erasure_trace_passes(tmp_path) -> None:
    outcomes = _traced(tmp_path, TRACED, TRAINED)
    assert statuses(outcomes) == {"pass"}, outcomes


def test_trace_missing_a_derived_dataset_or_model_fails(tmp_path) -> None:
    short = [
        {**TRACED[0], "affected_datasets": ["transactions@v41"], "affected_models": ["fraud-gbm"]}
    ]
    outcomes = _traced(tmp_path, short, TRAINED)
    assert statuses(outcomes) == {"fail"}
    assert "transactions@v42" in outcomes[0].message and "features@v42" in outcomes[0].message
    assert "fraud-gbm-small" in outcomes[0].message


def test_request_without_trace_is_not_verified(tmp_path) -> None:
    outcomes = _traced(tmp_path, REQUESTS[1:2], TRAINED)  # no subject_ref, no datasets
    assert statuses(outcomes) == {"not_verified"}
    put(tmp_path, "lineage/datasets.jsonl", "dataset,derived_from\nfeatures@v42,transactions@v42\n")
    settings = {
        "privacy": {
            "erasure": {**CONFIG["privacy"]["erasure"], "lineage": "lineage/datasets.jsonl"}
        }
    }
    assert statuses(run(erasure_traced, tmp_path, settings=settings)) == {"not_verified"}
