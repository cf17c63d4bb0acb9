"""MLC868 (DVC stage lineage) and MLC869 (converted models' parents) on real DVC files."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline.lineage import derived_lineage, stages_verified
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

RAW = "age,income,default\n" + "".join(f"{20 + i % 50},{i * 3 % 400},{i % 2}\n" for i in range(150))
PREPARE = "import sys\nimport csv\n\n\ndef main():\n    pass\n"
TRAIN = "import json\n\n\ndef main():\n    return json.dumps({'seed': 0})\n"
PARAMS = "prepare:\n  split: 0.2\n  seed: 0\ntrain:\n  seed: 0\n  n_estimators: 200\n"
DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/raw.csv data/prepared
    deps:
      - src/prepare.py
      - data/raw.csv
    params:
      - prepare.split
      - prepare.seed
    outs:
      - data/prepared
  train:
    cmd: python src/train.py data/prepared models/model.pkl
    deps:
      - src/train.py
      - data/prepared
    params:
      - train
    outs:
      - models/model.pkl
    metrics:
      - metrics.json:
          cache: false
"""


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def dvc_lock(
    *, raw: str = RAW, prepared_in_train: str = "d41c3f6ba2e7f8c2b0a1e6f4c9d8b7a2.dir"
) -> str:
    return f"""\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/raw.csv data/prepared
    deps:
    - path: data/raw.csv
      hash: md5
      md5: {md5(raw)}
      size: {len(raw)}
    - path: src/prepare.py
      hash: md5
      md5: {md5(PREPARE)}
      size: {len(PREPARE)}
    params:
      params.yaml:
        prepare.seed: 0
        prepare.split: 0.2
    outs:
    - path: data/prepared
      hash: md5
      md5: d41c3f6ba2e7f8c2b0a1e6f4c9d8b7a2.dir
      size: 5921
      nfiles: 2
  train:
    cmd: python src/train.py data/prepared models/model.pkl
    deps:
    - path: data/prepared
      hash: md5
      md5: {prepared_in_train}
      size: 5921
      nfiles: 2
    - path: src/train.py
      hash: md5
      md5: {md5(TRAIN)}
      size: {len(TRAIN)}
    params:
      params.yaml:
        train:
          n_estimators: 200
          seed: 0
    outs:
    - path: metrics.json
      hash: md5
      md5: 7b1e3c5a9d2f4e6a8c0b1d3f5e7a9c2b
      size: 41
    - path: models/model.pkl
      hash: md5
      md5: 0c9a4e8d2b6f1a3c5e7d9b0f2a4c6e8d
      size: 204711
"""


def _files(lock: str) -> dict[str, str]:
    return {
        "dvc.yaml": DVC_YAML,
        "dvc.lock": lock,
        "params.yaml": PARAMS,
        "src/prepare.py": PREPARE,
        "src/train.py": TRAIN,
        "data/raw.csv": RAW,
    }


def test_locked_pipeline_passes_and_verifies_files(tmp_path: Path) -> None:
    [outcome] = run(stages_verified, write(tmp_path, _files(dvc_lock())))
    assert outcome.status is Status.PASS, outcome.message
    assert dict(outcome.facts)["verified"] == "3"


@pytest.mark.parametrize(
    ("lock", "files", "why"),
    [
        (dvc_lock(), {"data/raw.csv": RAW + "99,1,1\n"}, "no longer matches dvc.lock"),
        (dvc_lock(prepared_in_train="aa" * 16 + ".dir"), {}, "read data/prepared"),
        (dvc_lock().split("  train:")[0], {}, "never locked"),
        (
            dvc_lock().replace(
                "python src/train.py data/prepared models/model.pkl",
                "python src/train.py data/prepared models/model.pkl --fast",
                1,
            ),
            {},
            "changed since it was locked",
        ),
    ],
)
def test_broken_lineage_fails(tmp_path: Path, lock: str, files: dict[str, str], why: str) -> None:
    project = write(tmp_path, {**_files(lock), **files})
    [outcome] = run(stages_verified, project)
    assert outcome.status is Status.FAIL and why in outcome.message


def test_crlf_text_file_hashed_like_dvc2(tmp_path: Path) -> None:
    crlf = RAW.replace("\n", "\r\n")
    lock = dvc_lock().replace("      hash: md5\n      md5: " + md5(RAW), "      md5: " + md5(RAW))
    project = write(tmp_path, {**_files(lock)})
    (tmp_path / "data/raw.csv").write_bytes(crlf.encode())
    [outcome] = run(stages_verified, project)
    assert outcome.status is Status.PASS, outcome.message


def test_unlocked_missing_and_broken(tmp_path: Path) -> None:
    files = _files(dvc_lock())
    del files["dvc.lock"]
    [outcome] = run(stages_verified, write(tmp_path, files))
    assert outcome.status is Status.FAIL and "no dvc.lock" in outcome.message
    [outcome] = run(stages_verified, write(tmp_path / "n", {"train.py": TRAIN}))
    assert outcome.status is Status.NOT_VERIFIED
    broken = {**_files(dvc_lock()), "dvc.lock": "schema: '2.0'\nstages: [\n"}
    assert statuses(run(stages_verified, write(tmp_path / "b", broken))) == [Status.NOT_VERIFIED]


def _onnx_bytes() -> bytes:
    """A minimal but valid ONNX ModelProto (ir_version 8, opset 17, one Identity node)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def test_converted_model_lineage(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    onnx = _onnx_bytes()
    parent_sha = "5e" * 32
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components": [
            {
                "type": "machine-learning-model",
                "name": "scorer",
                "version": "1.4.2",
                "bom-ref": "model-scorer-onnx",
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(onnx).hexdigest()}],
                "pedigree": {
                    "ancestors": [
                        {
                            "type": "machine-learning-model",
                            "name": "scorer-sklearn",
                            "version": "1.4.2",
                            "hashes": [{"alg": "SHA-256", "content": parent_sha}],
                        }
                    ],
                    "notes": "skl2onnx 1.17 convert_sklearn, target_opset 17",
                },
            }
        ],
    }
    project = write(tmp_path, {"models/scorer.onnx": onnx, "bom.cdx.json": json.dumps(bom)})
    [outcome] = run(derived_lineage, project)
    assert outcome.status is Status.PASS and "BOM pedigree" in outcome.message
    del bom["components"][0]["pedigree"]  # type: ignore[index]
    project = write(tmp_path / "n", {"models/scorer.onnx": onnx, "bom.cdx.json": json.dumps(bom)})
    [outcome] = run(derived_lineage, project)
    assert outcome.status is Status.FAIL and "no lineage record" in outcome.message
