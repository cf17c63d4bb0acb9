"""MLC1004 (M2.3.7): machine labels (Label Studio predictions) gated by confidence and by the
agreement of a human audit sample."""

from __future__ import annotations

import json

from mlsvs.checks.pipeline.machine_labels import machine_labels_gated
from mlsvs.model.catalog import Level
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

PARAMS = {"M2.3.7.min_label_confidence": 0.9, "M2.3.7.min_human_agreement": 0.9}


def _result(choice: str, origin: str) -> list[dict[str, object]]:
    return [
        {
            "value": {"choices": [choice]},
            "id": "r1",
            "from_name": "intent",
            "to_name": "text",
            "type": "choices",
            "origin": origin,
        }
    ]


def _task(
    i: int, *, machine: str, score: float | None, human: str | None = None
) -> dict[str, object]:
    prediction: dict[str, object] = {
        "id": 5000 + i,
        "model_version": "intent-distilbert-2026-09",
        "created_ago": "2 days",
        "result": _result(machine, "prediction"),
        "task": i,
        "project": 4,
    }
    if score is not None:
        prediction["score"] = score
    annotations = []
    if human is not None:
        annotations.append(
            {
                "id": 9000 + i,
                "completed_by": 12,
                "result": _result(human, "manual"),
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2026-10-04T10:00:00Z",
                "updated_at": "2026-10-04T10:00:00Z",
                "lead_time": 7.5,
                "task": i,
                "project": 4,
            }
        )
    return {
        "id": i,
        "data": {"text": f"ticket {i}: my card was charged twice"},
        "annotations": annotations,
        "predictions": [prediction],
        "drafts": [],
        "meta": {},
        "created_at": "2026-10-01T08:00:00Z",
        "updated_at": "2026-10-04T10:00:00Z",
        "inner_id": i,
        "total_annotations": len(annotations),
        "cancelled_annotations": 0,
        "total_predictions": 1,
        "project": 4,
    }


def _export(machine_scores: list[float | None], audit: list[tuple[str, str]]) -> str:
    tasks = [_task(i, machine="billing", score=s) for i, s in enumerate(machine_scores)]
    base = len(tasks)
    tasks += [_task(base + i, machine=m, score=0.97, human=h) for i, (m, h) in enumerate(audit)]
    return json.dumps(tasks, indent=2)


def _outcomes(tmp_path, export: str):
    project = write(tmp_path, {"labels/export-2026-10-05.json": export})
    return run(machine_labels_gated, project, level=Level.L2, parameters=PARAMS)


AGREE = [("billing", "billing")] * 19 + [("billing", "fraud")]


def test_confident_labels_and_agreeing_audit_pass(tmp_path) -> None:
    outcomes = _outcomes(tmp_path, _export([0.95, 0.91, 0.99], AGREE))
    assert [o.status for o in outcomes] == [Status.PASS]
    assert "19/20 = 0.950" in outcomes[0].message


def test_low_or_missing_confidence_fails(tmp_path) -> None:
    outcomes = _outcomes(tmp_path, _export([0.95, 0.62, None], AGREE))
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert "score 0.62" in outcomes[0].message and "no score" in outcomes[0].message


def test_audit_disagreement_fails(tmp_path) -> None:
    audit = [("billing", "billing")] * 8 + [("billing", "fraud")] * 2
    outcomes = _outcomes(tmp_path, _export([0.95], audit))
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert "8/10 = 0.800 < 0.9" in outcomes[0].message


def test_no_audit_sample_or_no_parameters_is_not_verified(tmp_path) -> None:
    assert [o.status for o in _outcomes(tmp_path, _export([0.95, 0.97], []))] == [
        Status.NOT_VERIFIED
    ]
    project = write(tmp_path, {})
    assert [o.status for o in run(machine_labels_gated, project)] == [Status.NOT_VERIFIED]


def test_human_only_export_is_not_applicable_and_broken_json_not_verified(tmp_path) -> None:
    human = [_task(1, machine="billing", score=0.9, human="billing")]
    human[0]["predictions"] = []
    assert [o.status for o in _outcomes(tmp_path, json.dumps(human))] == [Status.NOT_APPLICABLE]
    outcomes = _outcomes(tmp_path / "b", '[{"id": 1, "annotations": [')
    assert [o.status for o in outcomes] == [Status.NOT_VERIFIED] and outcomes[0].key == "unread"
