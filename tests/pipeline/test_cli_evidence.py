"""``mlsvs verify --evidence-report``: a report made outside the project, dated by its file."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

import pytest

from mlsvs.cli.main import main
from tests.pipeline import tool_reports as tr

if TYPE_CHECKING:
    from pathlib import Path


def test_evidence_report_on_the_command_line(tmp_path: Path) -> None:
    from importlib.metadata import entry_points

    if "evidence" not in {ep.name for ep in entry_points(group="mlsvs.checks")}:
        pytest.skip("the 'evidence' check entry point is not installed (pip install -e .)")
    project = tmp_path / "project"
    project.mkdir()
    (project / "mlsvs.toml").write_text('name = "p"\nlevel = "L1"\ntraits = []\n')
    (project / "app.py").write_text("print('scoring')\n")
    report = tmp_path / "ci" / "gitleaks.sarif"
    report.parent.mkdir()
    report.write_text(tr.gitleaks_sarif(None, leak=True))
    stamp = dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.UTC).timestamp()
    os.utime(report, (stamp, stamp))
    out = tmp_path / "results.json"
    code = main(
        [
            "verify",
            str(project),
            "--evidence-report",
            str(report),
            "--select",
            "MLC900",
            "--no-progress",
            "--today",
            "2026-12-02",
            "-f",
            f"json:{out}",
        ]
    )
    assert code == 1
    [finding] = [f for f in json.loads(out.read_text())["findings"] if f["check"] == "MLC900"]
    facts = dict(finding["facts"])
    assert finding["status"] == "fail" and "huggingface-access-token HIGH" in finding["message"]
    assert facts["date_source"] == "file time" and facts["version"] == "8.21.2"
