"""MLC873: processing artifacts are pinned with the model."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.processing import processing_bound
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

APP = """\
import json
import os
from pathlib import Path

import joblib
import onnxruntime as ort
from fastapi import FastAPI

HERE = Path(__file__).parent
app = FastAPI()
session = ort.InferenceSession(str(HERE / "model" / "churn.onnx"))
scaler = joblib.load(HERE / "model" / "scaler.joblib")
LABELS = json.loads((HERE / "model" / "labels.json").read_text())
THRESHOLD = float(os.environ.get("CHURN_THRESHOLD", "0.5"))


@app.post("/predict")
def predict(features: list[float]) -> dict[str, object]:
    [scores] = session.run(None, {"input": scaler.transform([features]).tolist()})
    label = LABELS[int(scores[0][1] >= THRESHOLD)]
    return {"label": label}
"""
SUMS = (
    "a1" * 32
    + "  model/churn.onnx\n"
    + "b2" * 32
    + "  model/scaler.joblib\n"
    + "c3" * 32
    + "  model/labels.json\n"
)


def test_env_threshold_fails_and_file_threshold_passes(tmp_path: Path) -> None:
    [outcome] = run(processing_bound, write(tmp_path, {"app.py": APP, "SHA256SUMS": SUMS}))
    assert (
        outcome.status is Status.FAIL and "CHURN_THRESHOLD from the environment" in outcome.message
    )
    pinned = APP.replace(
        'float(os.environ.get("CHURN_THRESHOLD", "0.5"))',
        'json.loads((HERE / "model" / "threshold.json").read_text())["value"]',
    )
    project = write(tmp_path / "p", {"app.py": pinned, "SHA256SUMS": SUMS})
    [outcome] = run(processing_bound, project)
    assert outcome.status is Status.FAIL and "threshold.json, which no manifest" in outcome.message
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "data",
                "name": "threshold.json",
                "version": "3",
                "hashes": [{"alg": "SHA-256", "content": "d4" * 32}],
            }
        ],
    }
    project = write(
        tmp_path / "b", {"app.py": pinned, "SHA256SUMS": SUMS, "bom.cdx.json": json.dumps(bom)}
    )
    assert statuses(run(processing_bound, project)) == [Status.PASS]


def test_no_serving_code(tmp_path: Path) -> None:
    assert statuses(run(processing_bound, write(tmp_path, {"train.py": "x = 1\n"}))) == [
        Status.ABSTAINED
    ]
