"""Discovery on hostile file systems: every skipped path is listed with why, nothing blocks."""

from __future__ import annotations

import os
import pickle
import socket
from typing import TYPE_CHECKING

import pytest

from mlsvs.discovery import discover
from mlsvs.discovery.traits import find_trait_evidence
from mlsvs.model.artifact import DatasetArtifact, ModelArtifact, SourceFile
from mlsvs.model.coverage import GapReason

if TYPE_CHECKING:
    from pathlib import Path


def _gaps(root: Path) -> dict[str, tuple[GapReason, tuple[str, ...]]]:
    return {g.item: (g.reason, g.could_be) for g in discover(root).project.gaps}


def test_fifo_socket_and_loops_are_reported_and_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "weights.bin")  # opening it for reading would block forever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "serve.sock"))
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "gone.pt").symlink_to(tmp_path / "nowhere")
    try:
        gaps = _gaps(tmp_path)
    finally:
        sock.close()
    assert gaps["weights.bin"][0] is GapReason.NOT_REGULAR
    assert gaps["serve.sock"][0] is GapReason.NOT_REGULAR
    assert gaps["a"][0] is gaps["b"][0] is GapReason.SYMLINK
    assert gaps["gone.pt"][0] is GapReason.SYMLINK


def test_zero_byte_model_lfs_pointer_and_sparse_placeholder(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "weights.bin").touch()  # a 0-byte model in a model directory
    (tmp_path / "__init__.py").touch()  # an empty source file is still a source file
    (tmp_path / ".gitkeep").touch()
    (tmp_path / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 9\n"
    )
    (tmp_path / "logo.png").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "b" * 64 + "\nsize 9\n"
    )
    with (tmp_path / "big.pt").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # all holes: nothing real on disk
    result = discover(tmp_path)
    gaps = {g.item: g for g in result.project.gaps}
    assert gaps["models/weights.bin"].reason is GapReason.EMPTY
    assert gaps["models/weights.bin"].could_be == ("ModelArtifact",)
    assert gaps["model.safetensors"].reason is GapReason.NOT_PRESENT
    assert "git lfs pull" in gaps["model.safetensors"].detail
    if "big.pt" in gaps:  # file systems without sparse files allocate the zeros
        assert gaps["big.pt"].reason is GapReason.NOT_PRESENT
    assert ".gitkeep" not in gaps
    assert "logo.png" not in gaps  # an image pointer hides no model: a note, not a gap
    assert any(p.path == "logo.png" and "media" in p.message for p in result.problems)
    assert any(
        isinstance(a, SourceFile) and a.path == "__init__.py" for a in result.project.artifacts
    )
    listed = {p.path for p in result.problems}
    assert {"models/weights.bin", "model.safetensors"} <= listed


def test_unreadable_files_become_gaps_named_by_what_they_could_be(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps([1, 2]))
    (tmp_path / "train.py").write_text("x = 1\n")
    (tmp_path / "blob").write_bytes(b"\x00" * 10)

    def fail(path: Path, size: int) -> bytes:  # the read seam: as if permission were denied
        raise PermissionError(13, "Permission denied")

    result = discover(tmp_path, read_head=fail)
    gaps = {g.item: g for g in result.project.gaps}
    assert result.project.artifacts == ()
    assert gaps["train.py"].could_be == ("SourceFile",)
    assert gaps["model.pkl"].could_be == ()  # content decides: it could be anything
    assert {g.reason for g in gaps.values()} == {GapReason.UNREADABLE}
    assert all("Permission denied" in p.message for p in result.problems)


def test_non_utf8_and_control_character_names_are_carried(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xffname\x1b[31m.pkl"
    with open(raw, "wb") as handle:
        handle.write(pickle.dumps({"a": 1}))
    [model] = discover(tmp_path).project.artifacts
    assert isinstance(model, ModelArtifact)
    assert os.fsencode(model.path) == b"bad\xffname\x1b[31m.pkl"  # round-trips to the real name


def test_limits_and_unlistable_directories_are_gaps(tmp_path: Path) -> None:
    from mlsvs.config import Config, Limits

    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "m.pkl").write_bytes(pickle.dumps(1))
    for i in range(3):
        (tmp_path / f"f{i}.py").write_text("x = 1\n")
    deep_config = Config(name="p", limits=Limits(max_depth=1))
    gaps = {g.item: g.reason for g in discover(tmp_path, deep_config).project.gaps}
    assert gaps == {"a/b": GapReason.LIMIT}
    few = Config(name="p", limits=Limits(max_files=2))
    gaps = {g.item: g.reason for g in discover(tmp_path, few).project.gaps}
    assert gaps["*"] is GapReason.LIMIT


@pytest.mark.parametrize(
    ("code", "trait"),
    [
        ("from fastapi import FastAPI\nimport joblib\napp = FastAPI()\n", "exposes_inference_api"),
        ("import gradio as gr\n", "exposes_inference_api"),
        (
            "from transformers import AutoModel\nm = AutoModel.from_pretrained('bert-base-uncased')\n",
            "uses_third_party_model",
        ),
        (
            "from huggingface_hub import hf_hub_download\nhf_hub_download('org/m', 'w.bin')\n",
            "uses_third_party_model",
        ),
        ("import torch\nloss = f()\nloss.backward()\n", "trains_in_house"),
        ("import openai\n", "hosted_model_api"),
    ],
)
def test_trait_evidence_from_source(tmp_path: Path, code: str, trait: str) -> None:
    (tmp_path / "app.py").write_text(code)
    source = SourceFile(root=tmp_path, path="app.py", size=len(code), language="python")
    assert trait in {e.trait for e in find_trait_evidence([source])}


def test_no_evidence_from_plain_code_or_local_checkpoints(tmp_path: Path) -> None:
    code = (
        "from flask import Flask\napp = Flask(__name__)\n"  # a web app with no ML at all
        "from transformers import AutoModel\nAutoModel.from_pretrained('./checkpoints/best')\n"
    )
    (tmp_path / "app.py").write_text(code)
    source = SourceFile(root=tmp_path, path="app.py", size=len(code), language="python")
    traits = {e.trait for e in find_trait_evidence([source])}
    assert "uses_third_party_model" not in traits


def test_personal_data_columns_and_serving_configs(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("user_id,Email,date_of_birth,score\n1,a@b.c,2000-01-01,3\n")
    (tmp_path / "config.pbtxt").write_text('name: "m"\nplatform: "onnxruntime_onnx"\n')
    data = DatasetArtifact(root=tmp_path, path="users.csv", size=10, format="csv")
    found = find_trait_evidence([data], [("config.pbtxt", tmp_path / "config.pbtxt")])
    details = {(e.trait, e.detail) for e in found}
    assert ("personal_data", "columns: Email, date_of_birth, user_id") in details
    assert ("exposes_inference_api", "Triton model configuration") in details


def test_notebook_with_magics_still_yields_evidence(tmp_path: Path) -> None:
    import json

    cells = [
        {"cell_type": "code", "source": ["%pip install gradio\n", "!ls\n"]},
        {"cell_type": "code", "source": "import gradio as gr\n"},
        {"cell_type": "code", "source": "this is not python ((("},
    ]
    text = json.dumps({"cells": cells})
    (tmp_path / "demo.ipynb").write_text(text)
    nb = SourceFile(root=tmp_path, path="demo.ipynb", size=len(text), language="notebook")
    assert "exposes_inference_api" in {e.trait for e in find_trait_evidence([nb])}


@pytest.mark.parametrize(
    "code",
    [
        "from tensorflow.keras.applications import MobileNetV2\nm = MobileNetV2(weights='imagenet')\n",
        "import torchvision\nm = torchvision.models.resnet50(weights=ResNet50_Weights.DEFAULT)\n",
        "import timm\nm = timm.create_model('resnet18', pretrained=True)\n",
    ],
)
def test_published_pretrained_weights_are_third_party(tmp_path: Path, code: str) -> None:
    (tmp_path / "m.py").write_text(code)
    source = SourceFile(root=tmp_path, path="m.py", size=len(code), language="python")
    assert "uses_third_party_model" in {e.trait for e in find_trait_evidence([source])}


def test_own_weight_files_are_not_third_party(tmp_path: Path) -> None:
    code = "import tensorflow as tf\nm = tf.keras.applications.MobileNetV2(weights='w.h5')\n"
    (tmp_path / "m.py").write_text(code)
    source = SourceFile(root=tmp_path, path="m.py", size=len(code), language="python")
    assert "uses_third_party_model" not in {e.trait for e in find_trait_evidence([source])}


def test_conventionally_skipped_directories_are_noted(tmp_path: Path) -> None:
    for folder in ("node_modules/x", "build", "env", ".git"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "train.py").write_text("x = 1\n")
    notes = {p.path: p.message for p in discover(tmp_path).problems}
    assert "virtual environment" in notes["env"]
    assert "third-party dependencies" in notes["node_modules"]
    assert "build output" in notes["build"]
    assert ".git" not in notes
