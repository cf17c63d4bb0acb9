"""Fixtures: tiny models and temporary projects with data files and a model factory."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.modeltest import projmodels

HERE = Path(__file__).parent


def write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    cols = {f"f{i}": x[:, i] for i in range(x.shape[1])}
    cols["label"] = y
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cols).to_csv(path, index=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with ``projmodels.py`` and train/test CSVs for the linear model."""
    shutil.copy(HERE / "projmodels.py", tmp_path / "projmodels.py")
    xtr, ytr, xte, yte = projmodels.train_split()
    write_csv(tmp_path / "data" / "train.csv", xtr, ytr)
    write_csv(tmp_path / "data" / "test.csv", xte, yte)
    xtr, ytr, xte, yte = projmodels.noisy_split()
    write_csv(tmp_path / "data" / "noisy_train.csv", xtr, ytr)
    write_csv(tmp_path / "data" / "noisy_test.csv", xte, yte)
    return tmp_path


def section(**overrides: object) -> dict[str, object]:
    """A valid ``model_tests`` section for the linear sklearn model in ``project``."""
    base: dict[str, object] = {
        "seed": 3,
        "model": {"kind": "sklearn", "factory": "projmodels:build_linear", "n_classes": 2},
        "input": {"shape": [6], "lower": 0.0, "upper": 1.0},
        "data": {"test": "data/test.csv", "train": "data/train.csv", "label": "label"},
        "accuracy": {"samples": 200, "clean_accuracy_min": {"L1": 0.8, "L2": 0.9}},
        "robustness": {
            "samples": 40,
            "epsilon": 0.1,
            "epsilons": [0.05, 0.1, 0.2],
            "steps": 10,
            "queries_per_input": 100,
            "robust_accuracy_min": {"L1": 0.3},
        },
        "privacy": {"samples": 150, "bootstrap": 50, "mia_auc_max": 0.6},
        "extraction": {"budgets": [10, 50, 200], "samples": 100, "extraction_fidelity_max": 0.99},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}  # type: ignore[dict-item]
        else:
            base[key] = value
    return base


def factory_model(factory: str, kind: str = "sklearn", n_classes: int = 2) -> dict[str, object]:
    """A ``model`` entry built by a ``tests/modeltest/projmodels.py`` factory."""
    return {"kind": kind, "factory": f"projmodels:{factory}", "n_classes": n_classes}


CAL_DATA = {"test": "data/cal_test.csv", "train": "data/cal_train.csv", "label": "label"}
"""The calibration split that the runtime-evidence projects write."""

CARD = """---
license: apache-2.0
model-index:
- name: linear-risk
  results:
  - task: {{type: tabular-classification}}
    dataset: {{name: holdout-2026, type: internal}}
    metrics:
    - {{type: accuracy, value: {acc}}}
    - {{type: f1, value: {f1}}}
---
# Model card
## Limitations
Tabular inputs only.
"""
"""A model card claiming accuracy and F1 (``CARD.format(acc=..., f1=...)``)."""
