"""MLC880: external data imported as hashed DVC snapshots that training reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.snapshots import external_snapshots
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

IMPORT_URL = """\
md5: 7f3e1b2c4d5a6978e0f1a2b3c4d5e6f7
frozen: true
deps:
- etag: '"0x8DC3F2A1B4E5C6D"'
  size: 4823311
  path: https://datasets.example.org/credit/2026-11/applications.csv
outs:
- md5: 9c2a4b6d8e0f1a3c5e7b9d1f3a5c7e9b
  size: 4823311
  hash: md5
  path: applications.csv
"""
IMPORT_REPO = """\
md5: 1e2d3c4b5a69788796a5b4c3d2e1f0a9
frozen: true
deps:
- path: data/labels
  repo:
    url: https://github.com/acme/labelling-vendor-exports
    rev_lock: 6b1f0e2d9c8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c
outs:
- md5: 3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b.dir
  size: 88213
  nfiles: 12
  hash: md5
  path: labels
"""
DVC_YAML = """\
stages:
  train:
    cmd: python train.py data/external/applications.csv data/external/labels
    deps:
      - train.py
      - data/external/applications.csv
      - data/external/labels
    outs:
      - models/model.pkl
"""


def test_imports_read_by_training_pass(tmp_path: Path) -> None:
    files = {
        "data/external/applications.csv.dvc": IMPORT_URL,
        "data/external/labels.dvc": IMPORT_REPO,
        "dvc.yaml": DVC_YAML,
        "train.py": "import csv\n",
    }
    outcomes = run(external_snapshots, write(tmp_path, files))
    assert statuses(outcomes) == [Status.PASS, Status.PASS], [o.message for o in outcomes]


def test_unrecorded_source_unread_snapshot_and_direct_reads_fail(tmp_path: Path) -> None:
    no_etag = IMPORT_URL.replace("- etag: '\"0x8DC3F2A1B4E5C6D\"'\n  size", "- size")
    direct = DVC_YAML.replace(
        "data/external/applications.csv\n      - data/external/labels",
        "https://datasets.example.org/credit/latest.csv",
    )
    files = {
        "data/external/applications.csv.dvc": no_etag,
        "dvc.yaml": direct,
        "train.py": "import pandas as pd\nraw = pd.read_csv('https://datasets.example.org/x.csv')\n",
    }
    messages = [
        o.message
        for o in run(external_snapshots, write(tmp_path, files))
        if o.status is Status.FAIL
    ]
    assert any(
        "reads external data https://datasets.example.org/credit/latest.csv" in m for m in messages
    )
    assert any("train.py:2" in m for m in messages)
    assert any("source state" in m and "no pipeline stage reads" in m for m in messages)


def test_without_visible_external_data_the_check_abstains(tmp_path: Path) -> None:
    project = write(tmp_path, {"data/train.csv": "a,b\n1,2\n", "train.py": "import csv\n"})
    assert statuses(run(external_snapshots, project)) == [Status.ABSTAINED]
