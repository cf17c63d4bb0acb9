"""MLC882 (M2.3.5): feedback reaches training only through a quarantine stage with approval."""

from __future__ import annotations

from mlsvs.checks.pipeline.feedback_gate import approver, feedback_quarantined
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

# A DVC retraining pipeline as a fraud team would keep it: production feedback lands in
# data/feedback/, is screened (MLC230-style poisoning screen) and admitted by the quarantine
# stage only with the batch's approval record; training reads the curated base data and the
# admitted batch.
GATED = """\
stages:
  export_feedback:
    cmd: python -m pipeline.export_feedback --since 2026-11-01 --out data/feedback/raw
    deps:
      - pipeline/export_feedback.py
    outs:
      - data/feedback/raw
  screen:
    cmd: python -m pipeline.screen data/feedback/raw --report reports/screening.json
    deps:
      - pipeline/screen.py
      - data/feedback/raw
    outs:
      - reports/screening.json
  quarantine:
    cmd: >-
      python -m pipeline.admit data/feedback/raw --screening reports/screening.json
      --approval approvals/batch-2026-11.yaml --out data/admitted/2026-11
    deps:
      - pipeline/admit.py
      - reports/screening.json
      - approvals/batch-2026-11.yaml
      - data/feedback/raw
    outs:
      - data/admitted/2026-11
  featurize:
    cmd: python -m pipeline.featurize data/base data/admitted/2026-11 --out data/features
    deps:
      - pipeline/featurize.py
      - data/base
      - data/admitted/2026-11
    outs:
      - data/features
  train:
    cmd: python -m pipeline.train --features data/features --out models/fraud-gbm
    deps:
      - pipeline/train.py
      - data/features
    params:
      - train
    outs:
      - models/fraud-gbm
"""

APPROVAL = """\
batch: feedback-2026-11
rows: 18422
screening: reports/screening.json
decision: admit
approved_by: Dana Okafor (fraud ML lead)
approved_at: 2026-11-30T16:05:00Z
"""


def _project(tmp_path, pipeline: str = GATED, approval: str | None = APPROVAL):
    files = {"dvc.yaml": pipeline, "pipeline/train.py": "print('train')\n"}
    if approval is not None:
        files["approvals/batch-2026-11.yaml"] = approval
    return write(tmp_path, files)


def test_feedback_through_an_approved_quarantine_stage_passes(tmp_path) -> None:
    [outcome] = run(feedback_quarantined, _project(tmp_path))
    assert outcome.status is Status.PASS, outcome.message
    assert "quarantine" in outcome.message and "approvals/batch-2026-11.yaml" in outcome.message


def test_feedback_straight_into_features_fails(tmp_path) -> None:
    # the featurize stage reads the raw export next to the admitted batch: the gate is bypassed
    bypass = GATED.replace(
        "      - data/admitted/2026-11\n    outs:\n      - data/features",
        "      - data/admitted/2026-11\n      - data/feedback/raw\n    outs:\n      - data/features",
    )
    [outcome] = run(feedback_quarantined, _project(tmp_path, bypass))
    assert outcome.status is Status.FAIL
    assert "data/feedback/raw -> featurize" in outcome.message


def test_gate_without_an_approval_record_is_no_gate(tmp_path) -> None:
    unapproved = GATED.replace("      - approvals/batch-2026-11.yaml\n", "")
    [outcome] = run(feedback_quarantined, _project(tmp_path, unapproved))
    assert outcome.status is Status.FAIL and "data/feedback/raw" in outcome.message


def test_approval_naming_no_one_fails(tmp_path) -> None:
    anonymous = APPROVAL.replace("approved_by: Dana Okafor (fraud ML lead)\n", "")
    [outcome] = run(feedback_quarantined, _project(tmp_path, approval=anonymous))
    assert outcome.status is Status.FAIL and "name no approver" in outcome.message


def test_no_pipeline_or_no_feedback_abstains_and_broken_files_are_not_verified(tmp_path) -> None:
    none = write(tmp_path / "none", {"train.py": "print('train')\n"})
    assert statuses(run(feedback_quarantined, none)) == [Status.ABSTAINED]
    base_only = "stages:\n  train:\n    cmd: python train.py\n    deps: [data/base]\n"
    quiet = write(tmp_path / "quiet", {"dvc.yaml": base_only})
    assert statuses(run(feedback_quarantined, quiet)) == [Status.ABSTAINED]
    broken = write(tmp_path / "broken", {"dvc.yaml": "stages:\n  train: [\n"})
    [outcome] = run(feedback_quarantined, broken)
    assert outcome.status is Status.NOT_VERIFIED and outcome.gaps[0].item == "dvc.yaml"
    bad = _project(tmp_path / "bad", approval="approved_by: [unclosed\n")
    assert Status.NOT_VERIFIED in statuses(run(feedback_quarantined, bad))


def test_approver_forms() -> None:
    assert approver("a.json", '{"approver": {"name": "R. Ito"}}') == "R. Ito"
    assert approver("a.yaml", "approvers: [a@example.com, b@example.com]\n") == (
        "a@example.com, b@example.com"
    )
    assert approver("a.yaml", "approved_by: ''\n") == ""
