"""Abstaining checks, end to end: absence lets an attestation stand in, and only then passes.

One real project, assessed twice by the real engine with the bundled 1.1.0 catalog: without
attestations every requirement whose checks found nothing of their kind stays *not verified*
(fail closed); with a valid attestation (digest-checked evidence file) it passes on the
attestation. One requirement per check family (platform, pipeline, operations), plus the
control case: where the kind *is* present but does not show the control (Terraform with one
account for every environment), the check says not verified and no attestation can stand in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from mlsvs.api import assess
from mlsvs.model.verdict import Basis, Verdict

TODAY = dt.date(2026, 12, 2)

CONFIG = """\
name = "scorer"
level = "L2"
standard = "1.1.0"
traits = ["trains_in_house", "exposes_inference_api"]
attestations = ["attestations"]
"""

# One AWS provider, no per-environment account: MLC820 reads it and cannot show separation.
TERRAFORM = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.60" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "features" {
  bucket = "scorer-features"
}
"""

REVIEW = "# Platform and data review 2026-11-28\n\nReviewed by the platform team; see tickets.\n"

# requirement -> (family, the check that abstains on this project)
ABSENT = {
    "M9.3.4": ("platform", "MLC814"),  # no Kubernetes manifest
    "M2.3.9": ("pipeline", "MLC876"),  # no label export
    "M1.5.1": ("operations", "MLC1060"),  # no [oversight] records configured
}
PRESENT_BUT_UNSHOWN = "M9.3.1"  # Terraform is there, per-environment accounts are not


def _attestation(rid: str, digest: str) -> str:
    return (
        f"requirement: {rid}\nclaim: pass\nstatement: >-\n  Shown by the platform review; the "
        "evidence lives in the infrastructure repository.\n"
        f"evidence:\n  - path: docs/review.md\n    sha256: {digest}\n"
        "attested_by: {name: A. Reviewer, role: Platform security}\n"
        "date: 2026-11-28\nexpires: 2027-11-28\n"
    )


def _project(root: Path, *, attested: bool) -> Path:
    root.mkdir()
    (root / "mlsvs.toml").write_text(CONFIG)
    (root / "train.py").write_text("import csv\n\nprint('train the scorer')\n")
    (root / "infra").mkdir()
    (root / "infra" / "main.tf").write_text(TERRAFORM)
    (root / "docs").mkdir()
    (root / "docs" / "review.md").write_text(REVIEW)
    (root / "attestations").mkdir()
    if attested:
        digest = hashlib.sha256(REVIEW.encode()).hexdigest()
        for rid in (*ABSENT, PRESENT_BUT_UNSHOWN):
            (root / "attestations" / f"{rid}.yaml").write_text(_attestation(rid, digest))
    return root


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, dict[str, object]]:
    base = tmp_path_factory.mktemp("abstain")
    out: dict[bool, dict[str, object]] = {}
    for attested in (False, True):
        result = assess(_project(base / str(attested), attested=attested), today=TODAY)
        out[attested] = {v.requirement: v for v in result.verdicts}
    return out


@pytest.mark.parametrize("rid", sorted(ABSENT), ids=[ABSENT[r][0] for r in sorted(ABSENT)])
def test_abstention_without_attestation_is_not_verified(verdicts, rid: str) -> None:
    family, check = ABSENT[rid]
    v = verdicts[False][rid]
    assert v.verdict is Verdict.NOT_VERIFIED and v.basis is Basis.NONE, (family, v.reasons)
    assert any(f"check {check} found nothing to examine" in r for r in v.reasons), v.reasons
    assert not v.gaps  # absence is no coverage gap: nothing was there to cover


@pytest.mark.parametrize("rid", sorted(ABSENT), ids=[ABSENT[r][0] for r in sorted(ABSENT)])
def test_abstention_with_valid_attestation_passes_on_the_attestation(verdicts, rid: str) -> None:
    v = verdicts[True][rid]
    assert (v.verdict, v.basis) == (Verdict.PASS, Basis.ATTESTED), v.reasons
    assert v.attestation and v.attestation.endswith(f"{rid}.yaml")


def test_present_kind_without_the_control_is_not_rescued_by_an_attestation(verdicts) -> None:
    for attested in (False, True):
        v = verdicts[attested][PRESENT_BUT_UNSHOWN]
        assert v.verdict is Verdict.NOT_VERIFIED, v.reasons
        assert any(g.detail == "no per-environment accounts" for g in v.gaps), v.gaps
