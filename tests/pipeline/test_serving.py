"""MLC867: serving code loads only registered or manifest-covered models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._serving import Source, analyse
from mlsvs.checks.pipeline.serving import serving_loads_registered
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY_APP = '''\
"""Scoring service: the model comes from the MLflow registry alias that release promotes."""
import os
from pathlib import Path

import mlflow
import onnxruntime as ort
from fastapi import FastAPI, Request

HERE = Path(__file__).parent
MODEL_URI = "models:/credit-default@production"
app = FastAPI()
model = mlflow.pyfunc.load_model(MODEL_URI)
calibrator = ort.InferenceSession(str(HERE / "models" / "calibrator.onnx"))


@app.post("/predict")
async def predict(request: Request) -> dict[str, float]:
    body = await request.json()
    score = float(model.predict([body["features"]])[0])
    [calibrated] = calibrator.run(None, {"score": [[score]]})
    return {"score": float(calibrated[0][0])}
'''
HUB_APP = """\
import joblib
from fastapi import FastAPI
from transformers import AutoModelForSequenceClassification, AutoTokenizer

app = FastAPI()
tokenizer = AutoTokenizer.from_pretrained("distilbert/distilbert-base-uncased-finetuned-sst-2-english")
model = AutoModelForSequenceClassification.from_pretrained("./models/sst2")


@app.post("/models/{name}/load")
def load(name: str, path: str) -> dict[str, str]:
    globals()["extra"] = joblib.load(path)
    return {"loaded": name}
"""
SUMS = "4f9d3b7e8c1a2d6f0e5b9a7c3d1e8f6a2b4c7d9e0f1a3b5c7d9e1f2a4b6c8d0e  models/calibrator.onnx\n"


def test_loads_are_classified() -> None:
    code = analyse(REGISTRY_APP)
    assert {(load.source, load.reference) for load in code.loads} == {
        (Source.REGISTRY, "models:/credit-default@production"),
        (Source.LOCAL, "calibrator.onnx"),
    }
    hub = analyse(HUB_APP)
    assert {load.source for load in hub.loads} == {Source.HUB, Source.LOCAL, Source.REQUEST}


def test_registry_and_manifest_covered_local_pass(tmp_path: Path) -> None:
    project = write(tmp_path, {"service/app.py": REGISTRY_APP, "SHA256SUMS": SUMS})
    [outcome] = run(serving_loads_registered, project)
    assert outcome.status is Status.PASS, outcome.message
    project = write(tmp_path / "nosums", {"service/app.py": REGISTRY_APP})
    [outcome] = run(serving_loads_registered, project)
    assert outcome.status is Status.FAIL and "no hash manifest covers" in outcome.message


def test_hub_request_and_url_loads_fail(tmp_path: Path) -> None:
    project = write(tmp_path, {"app.py": HUB_APP})
    [outcome] = run(serving_loads_registered, project)
    assert outcome.status is Status.FAIL
    assert "public hub" in outcome.message and "request parameter" in outcome.message
    assert "HF_HUB_OFFLINE" in outcome.message
    url = REGISTRY_APP.replace(
        '"models:/credit-default@production"', '"https://models.example.com/credit/model.onnx"'
    )
    url = url.replace("mlflow.pyfunc.load_model(MODEL_URI)", "ort.InferenceSession(MODEL_URI)")
    project = write(tmp_path / "u", {"app.py": url, "SHA256SUMS": SUMS})
    [outcome] = run(serving_loads_registered, project)
    assert outcome.status is Status.FAIL and "from a URL" in outcome.message


def test_run_time_path_and_offline_mode(tmp_path: Path) -> None:
    dynamic = REGISTRY_APP.replace(
        "mlflow.pyfunc.load_model(MODEL_URI)", 'mlflow.pyfunc.load_model(os.environ["MODEL_URI"])'
    )
    project = write(tmp_path, {"app.py": dynamic, "SHA256SUMS": SUMS})
    [outcome] = run(serving_loads_registered, project)
    assert outcome.status is Status.NOT_VERIFIED and "chosen at run time" in outcome.message
    local_hub = HUB_APP.split("@app.post", maxsplit=1)[0].replace(
        '"distilbert/distilbert-base-uncased-finetuned-sst-2-english"', '"./models/sst2"'
    )
    dockerfile = "FROM python:3.12-slim\nENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1\nCOPY . /app\n"
    sums = "ab" * 32 + "  models/sst2/model.safetensors\n"
    files = {"app.py": local_hub, "Dockerfile": dockerfile, "SHA256SUMS": sums}
    [outcome] = run(serving_loads_registered, write(tmp_path / "o", files))
    assert outcome.status is Status.FAIL and "sst2" in outcome.message  # a directory, not listed
    files["SHA256SUMS"] = "ab" * 32 + "  models/sst2\n"
    [outcome] = run(serving_loads_registered, write(tmp_path / "o2", files))
    assert outcome.status is Status.PASS


def test_no_serving_code(tmp_path: Path) -> None:
    assert statuses(run(serving_loads_registered, write(tmp_path, {"train.py": "x = 1\n"}))) == [
        Status.ABSTAINED
    ]
    project = write(tmp_path / "d", {"Dockerfile": "FROM python:3.12\n", "lib/util.py": "x = 1\n"})
    assert statuses(run(serving_loads_registered, project)) == [Status.ABSTAINED]
    broken = write(tmp_path / "b", {"serve.py": "def f(:\n"})
    assert statuses(run(serving_loads_registered, broken)) == [Status.NOT_VERIFIED]
