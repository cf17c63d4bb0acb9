"""Discovery classifies by content, never leaves the root and records its limits."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

from mlsvs.config import Config, Limits
from mlsvs.discovery import discover
from mlsvs.model.artifact import (
    BomDocument,
    CardDocument,
    CardKind,
    DatasetArtifact,
    DependencyManifest,
    DeploymentConfig,
    Document,
    ModelArtifact,
    ModelFormat,
    SourceFile,
)


def _write(root: Path, rel: str, data: bytes | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def test_classifies_a_realistic_project(tmp_path: Path) -> None:
    # A benign pickle of plain data, written with pickle.dumps (never loaded).
    _write(tmp_path, "models/renamed.txt", pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    with zipfile.ZipFile(tmp_path / "models" / "net.bin", "w") as archive:
        archive.writestr("net/data.pkl", pickle.dumps({"a": 1}, protocol=2))
        archive.writestr("net/version", "3\n")
    _write(tmp_path, "models/blob.dat", os.urandom(4096))
    _write(tmp_path, "data/train.csv", "a,b\n1,2\n")
    _write(tmp_path, "train.py", "import torch\n")
    _write(tmp_path, "requirements.txt", "torch==2.6.0\n")
    _write(tmp_path, "README.md", "---\nlicense: mit\nlibrary_name: sklearn\n---\n# Uses\n")
    _write(tmp_path, "DATASET_CARD.md", "# Source\n")
    _write(tmp_path, "THREAT_MODEL.md", "AML.T0010\n")
    _write(tmp_path, "bom.json", json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6"}))
    _write(tmp_path, "Dockerfile", "FROM python:3.11\nUSER app\n")
    _write(tmp_path, ".venv/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, ".venv/lib/model.pkl", pickle.dumps([1]))
    _write(tmp_path, ".git/objects/x", b"\x00" * 2048)

    found = {a.path: a for a in discover(tmp_path).project.artifacts}

    assert isinstance(found["models/renamed.txt"], ModelArtifact)
    assert found["models/renamed.txt"].format is ModelFormat.PICKLE  # content, not extension
    assert found["models/net.bin"].format is ModelFormat.PYTORCH_ZIP  # type: ignore[attr-defined]
    assert found["models/blob.dat"].format is ModelFormat.UNKNOWN  # type: ignore[attr-defined]
    assert isinstance(found["data/train.csv"], DatasetArtifact)
    assert isinstance(found["train.py"], SourceFile)
    assert isinstance(found["requirements.txt"], DependencyManifest)
    card = found["README.md"]
    assert isinstance(card, CardDocument) and card.card is CardKind.MODEL
    assert card.metadata["license"] == "mit" and card.sections == ("uses",)
    assert isinstance(found["DATASET_CARD.md"], CardDocument)
    assert isinstance(found["THREAT_MODEL.md"], Document)
    assert isinstance(found["bom.json"], BomDocument)
    assert isinstance(found["Dockerfile"], DeploymentConfig)
    assert not any(p.startswith((".venv/", ".git/")) for p in found)


def test_symlink_out_of_root_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pkl").write_bytes(pickle.dumps([1]))
    root = tmp_path / "project"
    root.mkdir()
    (root / "link.pkl").symlink_to(outside / "secret.pkl")
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    result = discover(root)
    assert result.project.artifacts == ()
    assert any("outside the project root" in p.message for p in result.problems)


def test_file_limit_is_recorded(tmp_path: Path) -> None:
    for index in range(5):
        _write(tmp_path, f"f{index}.py", "x = 1\n")
    result = discover(tmp_path, Config(name="x", limits=Limits(max_files=3)))
    assert len(result.project.artifacts) == 3
    assert any("max_files" in p.message for p in result.problems)


def test_excludes_and_saved_model_directories(tmp_path: Path) -> None:
    _write(tmp_path, "export/saved_model.pb", b"\x08\x01")
    _write(tmp_path, "export/variables/variables.index", b"\x00" * 10)
    _write(tmp_path, "vendor/x.py", "x = 1\n")
    result = discover(tmp_path, Config(name="x", exclude=("vendor",)))
    paths = {a.path: a for a in result.project.artifacts}
    assert set(paths) == {"export"}
    assert paths["export"].format is ModelFormat.TF_SAVEDMODEL  # type: ignore[attr-defined]
