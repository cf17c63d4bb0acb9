"""``mlsvs init``: traits proposed from discovery with their evidence; ``--interactive``."""

from __future__ import annotations

import io
import json
import sys
import tomllib
from pathlib import Path

import pytest

from mlsvs.catalog import load_standard
from mlsvs.cli.main import main
from mlsvs.config import load_config
from tests.supply.conftest import write_safetensors

SERVE = '''"""Face-recognition API: embeds a face crop and matches it against the gallery."""
from fastapi import FastAPI, UploadFile
import numpy as np
import onnxruntime as ort

app = FastAPI(title="face-id")
session = ort.InferenceSession("models/arcface.onnx")


@app.post("/identify")
async def identify(image: UploadFile) -> dict[str, object]:
    crop = np.frombuffer(await image.read(), dtype=np.uint8)
    embedding = session.run(None, {"input": crop[None]})[0]
    return {"person": "unknown", "score": float(embedding.max())}
'''

TRAIN = '''"""Fine-tune the detector head on our own labelled gallery."""
import torch
from transformers import AutoModel

backbone = AutoModel.from_pretrained("acme/face-backbone")
optimizer = torch.optim.AdamW(backbone.parameters(), lr=1e-4)
for batch in []:
    loss = backbone(**batch).loss
    loss.backward()
    optimizer.step()
'''

GALLERY = "person_id,name,email,phone,image_path\n" + "".join(
    f"{i},Person {i},person{i}@example.org,+44 20 7946 0{i:03d},faces/{i}.png\n" for i in range(40)
)


def _onnx(path: Path) -> None:
    """A real (tiny) ONNX embedding model: one MatMul from a 4-pixel crop to 2 features."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 2], [0.1, 0.2, 0.3, 0.4] * 2)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["input", "w"], ["embedding"])],
        "arcface-tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 2])],
        initializer=[weight],
    )
    onnx.save(helper.make_model(graph, producer_name="pytorch"), str(path))


def face_project(root: Path) -> Path:
    """A face-recognition service: three models, a gallery with personal data, an API."""
    (root / "models").mkdir(parents=True)
    write_safetensors(root / "models" / "detector.safetensors")
    write_safetensors(root / "models" / "landmarks.safetensors")
    _onnx(root / "models" / "arcface.onnx")
    (root / "data").mkdir()
    (root / "data" / "gallery.csv").write_text(GALLERY)
    (root / "serve.py").write_text(SERVE)
    (root / "train.py").write_text(TRAIN)
    (root / "requirements.txt").write_text("fastapi==0.115.0\nonnxruntime==1.19.2\ntorch==2.6.0\n")
    return root


def test_init_proposes_evidenced_traits_with_their_evidence(tmp_path, capsys):
    root = face_project(tmp_path / "face-id")
    assert main(["init", str(root)]) == 0
    text = (root / "mlsvs.toml").read_text(encoding="utf-8")
    assert "https://" not in text and "http://" not in text  # no placeholder written as real
    config = load_config(root)
    assert {
        "exposes_inference_api",
        "personal_data",
        "trains_in_house",
        "uses_third_party_model",
    } <= config.traits
    doc = tomllib.loads(text)
    assert doc["name"] == "face-id" and doc["level"] == "L1"
    assert "# evidence: serve.py:6: FastAPI app" in text
    assert "from_pretrained() of 'acme/face-backbone'" in text
    assert "# evidence: data/gallery.csv: columns:" in text
    assert "model: models/arcface.onnx, models/detector.safetensors" in text
    # traits without evidence are offered with their meaning, not declared
    tags = {t.id for t in load_standard().tags}
    for tag in tags - config.traits:
        assert f"#   {tag}: " in text
    err = capsys.readouterr().err
    assert "declared trait exposes_inference_api" in err and "next: review the traits" in err
    # verify then sees no undeclared-but-evidenced trait
    out = tmp_path / "r.json"
    main(["verify", str(root), "--no-progress", "--select", "MLC7*", "-f", f"json:{out}"])
    reasons = [r for v in json.loads(out.read_text())["verdicts"] for r in v["reasons"]]
    assert not [r for r in reasons if "found (" in r and "declare it in traits" in r]
    assert main(["init", str(root)]) == 2  # refuses to overwrite


def _answers(overrides: dict[str, str]) -> list[str]:
    """One answer per trait question in catalog order; empty = take the default."""
    lines: list[str] = []
    for tag in sorted(t.id for t in load_standard().tags):
        answer = overrides.get(tag, "")
        lines.append(answer)
        if answer == "n" and tag in _EVIDENCED:
            lines.append(f"{tag} reason")
    return lines


_EVIDENCED = {"exposes_inference_api", "personal_data", "trains_in_house", "uses_third_party_model"}


def test_interactive_asks_the_scope_questions(tmp_path, monkeypatch, capsys):
    root = face_project(tmp_path / "face-id")
    answers = [
        "Face ID gate",
        "l5",  # invalid level: asked again
        "L2",
        *_answers(
            {"uses_third_party_model": "n", "returns_scores": "y", "physical_inputs": "maybe"}
        ),
    ]
    # "maybe" is refused and the question repeated: answer it, then the capabilities
    index = answers.index("maybe")
    answers.insert(index + 1, "y")
    answers += ["y", ""]  # model-exec yes, network default (no)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(answers) + "\n"))
    assert main(["init", str(root), "--interactive"]) == 0
    err = capsys.readouterr().err
    assert "unknown level 'l5'" in err and "please answer y or n" in err
    assert "evidence: serve.py:6: FastAPI app" in err  # the evidence is shown before asking
    config = load_config(root)
    assert config.name == "Face ID gate" and str(config.level) == "L2"
    assert config.traits >= {
        "exposes_inference_api",
        "personal_data",
        "returns_scores",
        "physical_inputs",
    }
    assert "uses_third_party_model" not in config.traits
    assert config.denied_traits == {"uses_third_party_model": "uses_third_party_model reason"}
    assert {c.value for c in config.requested} == {"model-exec"}


def test_interactive_input_ending_early_is_one_line_error(tmp_path, monkeypatch, capsys):
    root = face_project(tmp_path / "face-id")
    monkeypatch.setattr(sys, "stdin", io.StringIO("name\nL1\n"))
    assert main(["init", str(root), "--interactive"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "mlsvs: error: mlsvs init --interactive: input ended before every question"
    )
    assert not (root / "mlsvs.toml").exists()


def test_print_and_level(tmp_path, capsys):
    root = face_project(tmp_path / "face-id")
    assert main(["init", str(root), "--print", "--level", "l3"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["level"] == "L3"
    assert not (root / "mlsvs.toml").exists()
    assert main(["init", str(root), "--level", "L9"]) == 2


@pytest.mark.parametrize("hostile", ['x"\ny = 1', "evil\x1b[31m\u202e"])
def test_hostile_project_names_and_evidence_stay_valid_toml(tmp_path, hostile, capsys):
    from mlsvs.cli.init_template import Proposal, Scope, render

    proposal = Proposal(
        evidence={"personal_data": (f"data/{hostile}.csv: columns: email",)},
        summary=(f"1 dataset: data/{hostile}.csv",),
        tags={"personal_data": "Personal data."},
    )
    text = render(Scope(name=hostile, traits=("personal_data",)), proposal)
    doc = tomllib.loads(text)
    assert doc["name"] == hostile and doc["traits"] == ["personal_data"] and "y" not in doc
