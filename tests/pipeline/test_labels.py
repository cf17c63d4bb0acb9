"""MLC876: Label Studio exports name an annotator and a time for every label and change."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline.labels import labels_attributable
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path


def _task(
    task_id: int,
    *,
    annotator: int | None = 7,
    updated_by: int | None = None,
    updated_at: str = "2026-10-02T09:14:03.120331Z",
) -> dict[str, object]:
    return {
        "id": task_id,
        "annotations": [
            {
                "id": 1000 + task_id,
                "completed_by": annotator,
                "result": [
                    {
                        "value": {"choices": ["billing"]},
                        "id": "k9Jm2",
                        "from_name": "intent",
                        "to_name": "text",
                        "type": "choices",
                        "origin": "manual",
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2026-10-02T09:14:03.120331Z",
                "updated_at": updated_at,
                "draft_created_at": None,
                "lead_time": 11.42,
                "prediction": {},
                "result_count": 0,
                "unique_id": "3f2c9a1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b",
                "import_id": None,
                "last_action": None,
                "task": task_id,
                "project": 4,
                "updated_by": updated_by,
                "parent_prediction": None,
                "parent_annotation": None,
                "last_created_by": None,
            }
        ],
        "drafts": [],
        "predictions": [],
        "data": {"text": f"I was charged twice for order {task_id}"},
        "meta": {},
        "created_at": "2026-10-01T16:02:11.004512Z",
        "updated_at": "2026-10-02T09:14:03.166218Z",
        "inner_id": task_id,
        "total_annotations": 1,
        "cancelled_annotations": 0,
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 4,
        "updated_by": annotator,
        "file_upload": "tickets-2026-10.csv",
        "comment_authors": [],
    }


def test_attributable_export_passes(tmp_path: Path) -> None:
    export = [_task(1), _task(2, updated_by=9, updated_at="2026-10-05T08:00:00.000000Z")]
    project = write(tmp_path, {"labels/project-4-at-2026-10-06.json": json.dumps(export)})
    [outcome] = run(labels_attributable, project)
    assert outcome.status is Status.PASS and "2 label(s)" in outcome.message


def test_anonymous_label_and_unattributed_change_fail(tmp_path: Path) -> None:
    export = [_task(1, annotator=None), _task(2, updated_at="2026-10-05T08:00:00.000000Z")]
    [outcome] = run(
        labels_attributable, write(tmp_path, {"labels/export.json": json.dumps(export)})
    )
    assert outcome.status is Status.FAIL
    assert "task 1 annotation 1001 has no annotator" in outcome.message
    assert "task 2 annotation 1002 was changed" in outcome.message


def test_json_min_and_no_export(tmp_path: Path) -> None:
    minimal = [
        {
            "text": "refund please",
            "id": 3,
            "intent": "billing",
            "annotator": 7,
            "annotation_id": 1003,
            "created_at": "2026-10-02T09:14:03.120331Z",
            "updated_at": "2026-10-02T09:14:03.120331Z",
            "lead_time": 4.1,
        }
    ]
    project = write(tmp_path, {"labels/min.json": json.dumps(minimal)})
    assert statuses(run(labels_attributable, project)) == [Status.PASS]
    none = write(tmp_path / "n", {"configs/train.json": json.dumps({"lr": 0.1})})
    assert statuses(run(labels_attributable, none)) == [Status.ABSTAINED]


def _double(task_id: int, first: str, second: str, *, reviewed: bool = False) -> dict[str, object]:
    task = _task(task_id)
    one = task["annotations"][0]  # type: ignore[index]
    two = dict(one, id=2000 + task_id, completed_by=8, ground_truth=reviewed)
    one["result"][0]["value"] = {"choices": [first]}  # type: ignore[index]
    two["result"] = [{**one["result"][0], "value": {"choices": [second]}}]  # type: ignore[index]
    task["annotations"] = [one, two]
    return task


def test_agreement_over_double_labelled_tasks(tmp_path: Path) -> None:
    pytest.importorskip("krippendorff")
    from mlsvs.checks.pipeline.labels import agreement, labels_agree

    intents = ["billing", "shipping", "login", "refund"]
    good = [_double(i, intents[i % 4], intents[i % 4]) for i in range(1, 20)]
    good.append(_double(20, "billing", "refund"))
    value, overlap, unsettled = agreement(json.loads(json.dumps(good)))
    assert overlap == 20 and unsettled == ["20"] and value is not None and 0.9 < value < 1.0
    [outcome] = run(labels_agree, write(tmp_path, {"labels/batch-7.json": json.dumps(good)}))
    assert outcome.status is Status.PASS and "alpha 0.9" in outcome.message
    bad = [_double(i, intents[i % 4], intents[(i + 1) % 4]) for i in range(1, 11)]
    [outcome] = run(labels_agree, write(tmp_path / "b", {"labels/batch-8.json": json.dumps(bad)}))
    assert outcome.status is Status.FAIL and "not re-reviewed" in outcome.message
    settled = [
        _double(i, intents[i % 4], intents[(i + 1) % 4], reviewed=True) for i in range(1, 11)
    ]
    project = write(tmp_path / "s", {"labels/batch-8.json": json.dumps(settled)})
    assert statuses(run(labels_agree, project)) == [Status.PASS]
    single = write(tmp_path / "o", {"labels/batch-9.json": json.dumps([_task(1), _task(2)])})
    [outcome] = run(labels_agree, single)
    assert outcome.status is Status.FAIL and "never measured" in outcome.message
