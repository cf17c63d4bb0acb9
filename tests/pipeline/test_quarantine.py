"""MLC881: third-party models enter only through a scanned and tested intake job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.quarantine import quarantined
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

INTAKE = """\
name: model-intake
on:
  workflow_dispatch:
    inputs:
      repo: {required: true}
      revision: {required: true}
jobs:
  intake:
    runs-on: ubuntu-24.04
    environment: model-intake
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - run: pip install "mlsvs[ml]==0.1.0" "huggingface_hub==0.26.2"
      - name: Download into quarantine
        run: huggingface-cli download "${{ inputs.repo }}" --revision "${{ inputs.revision }}" --local-dir quarantine/model
      - name: Scan for code on load
        run: mlsvs scan quarantine/model --fail-on medium
      - name: Acceptance tests against the card's claims
        run: mlsvs test quarantine/model --allow model-exec
      - name: Release to the internal registry
        run: aws s3 sync quarantine/model "s3://acme-models/released/${{ inputs.repo }}/${{ inputs.revision }}/"
"""
LOADER = """\
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained("/opt/models/released/sst2")
"""


def test_intake_job_and_registry_loads_pass(tmp_path: Path) -> None:
    files = {".github/workflows/intake.yml": INTAKE, "serve.py": LOADER}
    [outcome] = run(quarantined, write(tmp_path, files))
    assert outcome.status is Status.PASS and "intake.yml job 'intake'" in outcome.message


def test_ungated_download_or_direct_hub_load_fails(tmp_path: Path) -> None:
    unscanned = INTAKE.replace(
        "mlsvs scan quarantine/model --fail-on medium", "mlsvs scan quarantine/model || true"
    )
    [outcome] = run(quarantined, write(tmp_path, {".github/workflows/intake.yml": unscanned}))
    assert outcome.status is Status.FAIL and "a blocking model-file scan" in outcome.message
    hub = LOADER.replace("/opt/models/released/sst2", "distilbert/distilbert-base-uncased")
    files = {".github/workflows/intake.yml": INTAKE, "serve.py": hub}
    [outcome] = run(quarantined, write(tmp_path / "h", files))
    assert outcome.status is Status.FAIL and "straight from the hub" in outcome.message
    assert statuses(run(quarantined, write(tmp_path / "n", {"serve.py": LOADER}))) == [
        Status.NOT_VERIFIED
    ]
