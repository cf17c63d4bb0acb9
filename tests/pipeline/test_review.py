"""MLC877: threat model re-assessment triggers, interval and inventory changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.review import add_months, review_date, threat_model_reviewed
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

if TYPE_CHECKING:
    from pathlib import Path

THREAT = """\
# Threat model: ticket router

Owner: ML platform team. Last reviewed: {reviewed}

| Stage | Threat | ATLAS | Control |
|---|---|---|---|
| Data | Poisoned tickets in retraining | AML.T0020 | Per-source caps, agreement checks |
| Serving | Prompt injection through ticket text | AML.T0051 | Output schema validation |

## Re-assessment triggers

Re-assess when a data source is added, the base model or architecture changes, a new exposure
(public endpoint, new tenant) is planned, or ATLAS publishes a relevant technique.

## Review log

| Date | Reviewer | Change |
|---|---|---|
| 2025-03-02 | appsec | initial review |
"""


def _bom(timestamp: str) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 4,
            "metadata": {"timestamp": timestamp},
            "components": [],
        }
    )


def test_dates() -> None:
    assert review_date(THREAT.format(reviewed="2026-09-14")) == dt.date(2026, 9, 14)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


def test_recent_review_after_inventory_passes(tmp_path: Path) -> None:
    files = {
        "THREAT_MODEL.md": THREAT.format(reviewed="2026-09-14"),
        "bom.cdx.json": _bom("2026-09-01T10:00:00Z"),
    }
    [outcome] = run(threat_model_reviewed, write(tmp_path, files))
    assert outcome.status is Status.PASS, outcome.message


def test_stale_review_or_later_inventory_fails(tmp_path: Path) -> None:
    files = {
        "THREAT_MODEL.md": THREAT.format(reviewed="2025-09-14"),
        "bom.cdx.json": _bom("2025-09-01T10:00:00Z"),
    }
    [outcome] = run(threat_model_reviewed, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "more than 12 months ago" in outcome.message
    [outcome] = run(
        threat_model_reviewed,
        write(tmp_path / "p", files),
        parameters={"M1.3.3.max_interval_months": 24},
    )
    assert outcome.status is Status.PASS
    files["bom.cdx.json"] = _bom("2026-11-20T10:00:00Z")
    [outcome] = run(
        threat_model_reviewed,
        write(tmp_path / "i", files),
        parameters={"M1.3.3.max_interval_months": 24},
    )
    assert outcome.status is Status.FAIL and "changed on 2026-11-20" in outcome.message
    plain = THREAT.split("## Re-assessment", maxsplit=1)[0].replace("Last reviewed: 2026-09-14", "")
    [outcome] = run(threat_model_reviewed, write(tmp_path / "n", {"THREAT_MODEL.md": plain}))
    assert outcome.status is Status.FAIL and "no re-assessment triggers" in outcome.message
