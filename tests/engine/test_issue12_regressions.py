"""End-to-end regressions for the cases of issue 12 owned by the fail-closed core."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import zipfile
from typing import TYPE_CHECKING

from mlsvs.api import assess, load_catalog, load_config_for
from mlsvs.cli.main import main
from mlsvs.discovery import discover
from mlsvs.discovery.read import head_of
from mlsvs.engine.assess import assess_project
from mlsvs.engine.registry import load_registry

if TYPE_CHECKING:
    from pathlib import Path

TODAY = dt.date(2026, 6, 1)
MODEL_FORMAT = ("M4.1.1", "M4.1.2", "M4.1.3", "M4.1.4")


def _verdicts(assessment: object) -> dict[str, str]:
    return {v.requirement: v.verdict.value for v in assessment.verdicts}  # type: ignore[attr-defined]


def test_unreadable_model_is_a_problem_and_model_requirements_are_not_verified(
    tmp_path: Path,
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "clf.safetensors").write_bytes(b"\x00" * 64)
    (tmp_path / "train.py").write_text("x = 1\n")

    def denied(path: Path, size: int) -> bytes:
        if path.name == "clf.safetensors":
            raise PermissionError(13, "Permission denied")
        return head_of(path, size)

    config = load_config_for(tmp_path)
    discovery = discover(tmp_path, config, read_head=denied)
    standard = load_catalog()
    assessment = assess_project(
        discovery,
        config,
        standard,
        load_registry(standard),
        root_label=str(tmp_path),
        today=TODAY,
        now=lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    verdicts = _verdicts(assessment)
    assert all(verdicts[r] == "not_verified" for r in MODEL_FORMAT), verdicts
    assert any(
        p.path == "models/clf.safetensors" and "unreadable" in p.message
        for p in assessment.problems
    )


def test_no_dangerous_callables_never_passes_a_model_whose_parse_failed(tmp_path: Path) -> None:
    whole = pickle.dumps({"w": list(range(500))}, protocol=2)
    with zipfile.ZipFile(tmp_path / "model.pt", "w") as archive:
        archive.writestr("model/data.pkl", whole[: len(whole) // 2])  # cut mid-stream
        archive.writestr("model/version", "3\n")
    (tmp_path / "train.py").write_text("x = 1\n")
    verdict = next(v for v in assess(tmp_path, today=TODAY).verdicts if v.requirement == "M4.1.2")
    assert verdict.verdict.value == "not_verified"
    assert any(g.item.startswith("model.pt") for g in verdict.gaps)


def test_undeclared_model_server_is_not_verified_and_na_is_not_satisfied(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"w": [1.0]}))
    (tmp_path / "serve.py").write_text(
        "import joblib\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "model = joblib.load('model.pkl')\n"
    )
    out = tmp_path / "r.json"
    assert main(["verify", str(tmp_path), "--no-progress", "-f", f"json:{out}"]) == 1
    data = json.loads(out.read_text())
    serving = [v for v in data["verdicts"] if v["requirement"].startswith("M8.")]
    dodged = [
        v["requirement"]
        for v in serving
        if v["verdict"] == "not_applicable" and "exposes_inference_api" in v["reasons"][0]
    ]
    assert not dodged  # n/a only for other traits (genai, returns_scores ...), never this one
    m811 = next(v for v in serving if v["requirement"] == "M8.1.1")
    assert m811["verdict"] == "not_verified"
    assert "evidence of exposes_inference_api" in m811["reasons"][0]
    l1 = data["levels"][0]
    passes = sum(1 for v in data["verdicts"] if v["level"] == 1 and v["verdict"] == "pass")
    assert l1["satisfied"] == passes and l1["not_applicable"] > 0
    # Denying the trait with a reason turns them into n/a, reason shown.
    (tmp_path / "mlsvs.toml").write_text(
        '[denied_traits]\nexposes_inference_api = "serve.py is a local demo, never deployed"\n'
    )
    assert main(["verify", str(tmp_path), "--no-progress", "-f", f"json:{out}"]) == 1
    data = json.loads(out.read_text())
    m811 = next(v for v in data["verdicts"] if v["requirement"] == "M8.1.1")
    assert m811["verdict"] == "not_applicable" and "local demo" in m811["reasons"][0]
