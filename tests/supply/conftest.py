"""Fixtures: a tiny but real ML project on disk, described by typed artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlsvs.plugin import (
    CardDocument,
    CardKind,
    DatasetArtifact,
    DependencyManifest,
    ModelArtifact,
    ModelFormat,
    Project,
)

CARD = """---
license: apache-2.0
pipeline_tag: text-classification
library_name: transformers
datasets:
  - reviews
base_model: distilbert-base-uncased
model-index:
  - name: tiny-sentiment
    results:
      - task: {type: text-classification}
        dataset: {name: reviews, type: reviews, split: test}
        metrics:
          - {type: accuracy, value: 0.91}
          - {type: f1, value: 0.89}
---
# Tiny sentiment model

## Intended uses

Classify the sentiment of short English product reviews.

## Out-of-scope use

Medical or legal decisions.

## Limitations

Trained on 200 reviews; accuracy drops on sarcasm.
"""


def write_safetensors(path: Path) -> None:
    """A real safetensors file: 8-byte header length, JSON header, raw float32 data."""
    import numpy as np
    from safetensors.numpy import save_file

    save_file({"weight": np.arange(12, dtype=np.float32).reshape(3, 4)}, str(path))


def make_project(root: Path, *, requirements: str = "torch==2.6.0\nnumpy==1.26.4\n") -> Project:
    """models/tiny (safetensors + config + card), data/reviews.csv, requirements.txt."""
    model_dir = root / "models" / "tiny"
    model_dir.mkdir(parents=True)
    write_safetensors(model_dir / "model.safetensors")
    (model_dir / "config.json").write_text(
        json.dumps(
            {"model_type": "distilbert", "architectures": ["DistilBertForSequenceClassification"]}
        )
    )
    (model_dir / "README.md").write_text(CARD)
    data_dir = root / "data"
    data_dir.mkdir()
    (data_dir / "reviews.csv").write_text("text,label\ngood,1\nbad,0\n")
    (root / "requirements.txt").write_text(requirements)
    front = yaml.safe_load(CARD.split("---")[1])
    artifacts = (
        CardDocument(
            root=root,
            path="models/tiny/README.md",
            size=len(CARD),
            card=CardKind.MODEL,
            metadata=front,
            sections=("intended uses", "out-of-scope use", "limitations"),
        ),
        DatasetArtifact(root=root, path="data/reviews.csv", size=28, format="csv"),
        ModelArtifact(
            root=root,
            path="models/tiny/model.safetensors",
            size=(model_dir / "model.safetensors").stat().st_size,
            format=ModelFormat.SAFETENSORS,
        ),
        DependencyManifest(root=root, path="requirements.txt", size=10, manifest="requirements"),
    )
    return Project(root=root, name="tiny", traits=frozenset(), artifacts=artifacts)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh tiny project."""
    return make_project(tmp_path)
