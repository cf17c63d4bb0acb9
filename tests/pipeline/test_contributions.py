"""MLC879: per-source share of retraining batches against max_source_share."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.contributions import source_share_capped
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path


def _feedback(users: int, heavy: int = 0) -> str:
    rows = ["event_id,user_id,prediction,label,created_at"]
    rows += [
        f"{i},u{i % users:05d},0.71,1,2026-11-{1 + i % 28:02d}T10:00:00Z" for i in range(users * 2)
    ]
    rows += [f"{10**6 + i},u-attacker,0.93,0,2026-11-29T03:00:00Z" for i in range(heavy)]
    return "\n".join(rows) + "\n"


def test_shares_against_the_cap(tmp_path: Path) -> None:
    project = write(tmp_path, {"data/feedback/2026-11.csv": _feedback(300)})
    [outcome] = run(source_share_capped, project)
    assert outcome.status is Status.PASS and dict(outcome.facts)["sources"] == "300"
    poisoned = write(tmp_path / "p", {"data/feedback/2026-11.csv": _feedback(300, heavy=40)})
    [outcome] = run(source_share_capped, poisoned)
    assert outcome.status is Status.FAIL and "'u-attacker' contributes" in outcome.message
    # Each user holds 2 of 600 rows (0.33 %): within the L2 cap (1 %), above a 0.2 % profile.
    [outcome] = run(source_share_capped, project, parameters={"M2.3.8.max_source_share": 0.002})
    assert outcome.status is Status.FAIL


def test_jsonl_unattributed_and_missing(tmp_path: Path) -> None:
    lines = "".join(
        json.dumps({"device_id": f"d{i % 500}", "reading": i}) + "\n" for i in range(1000)
    )
    assert statuses(
        run(source_share_capped, write(tmp_path, {"retrain/batch-12.jsonl": lines}))
    ) == [Status.PASS]
    plain = "event_id,prediction,label\n" + "".join(f"{i},0.5,1\n" for i in range(50))
    [outcome] = run(source_share_capped, write(tmp_path / "u", {"feedback/batch.csv": plain}))
    assert outcome.status is Status.FAIL and "not attributed" in outcome.message
    none = write(tmp_path / "n", {"data/train.csv": plain})
    assert statuses(run(source_share_capped, none)) == [Status.ABSTAINED]
