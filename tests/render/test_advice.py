"""Next steps: derived from the verdict's structured causes, the same in every report."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlsvs.cli.main import main
from mlsvs.model.assessment import CheckRecord, CheckState
from mlsvs.model.catalog import Level, Verification
from mlsvs.model.coverage import Gap, GapReason
from mlsvs.model.verdict import Basis, RequirementVerdict, Verdict
from mlsvs.render.advice import next_step, steps
from mlsvs.render.json import load_assessment
from tests.render import builders


def _v(verdict: Verdict, *reasons: str, basis: Basis = Basis.NONE, **kw) -> RequirementVerdict:
    return RequirementVerdict(
        requirement="M6.1.1", level=Level.L1, verdict=verdict, basis=basis, reasons=reasons, **kw
    )


def _check(cid: str, reason: str = "", remediation: str = "") -> CheckRecord:
    return CheckRecord(
        id=cid,
        title=f"title {cid}",
        requirements=("M6.1.1",),
        severity="high",
        state=CheckState.SKIPPED if reason else CheckState.RAN,
        skip_reason=reason,
        remediation=remediation,
    )


def test_capabilities_not_granted_give_the_allow_command():
    checks = [
        _check(
            "MLC601",
            "it loads and runs the model, which this run did not allow: rerun with "
            "--allow model-exec",
        ),
        _check(
            "MLC501",
            "it connects to the network, which this run did not allow: rerun with --allow network",
        ),
    ]
    step = next_step(_v(Verdict.NOT_VERIFIED, "not verified"), None, checks)
    assert step.command == "mlsvs verify --allow model-exec,network"
    assert "run the model and use the network" in step.text


def test_missing_packages_give_one_pip_command_with_merged_extras():
    checks = [
        _check("MLC601", "it needs torch, which is not installed: pip install 'mlsvs[torch]'"),
        _check("MLC602", "it needs numpy, which is not installed: pip install 'mlsvs[ml]'"),
    ]
    step = next_step(_v(Verdict.NOT_VERIFIED, "not verified"), None, checks)
    assert step.command == "pip install 'mlsvs[ml,torch]'"


def test_undeclared_traits_give_the_trait_flags():
    v = _v(
        Verdict.NOT_VERIFIED,
        "evidence of exposes_inference_api found (app.py:3: FastAPI app): declare it",
        "evidence of genai found (x.py: openai): declare it",
        basis=Basis.PROFILE,
    )
    step = next_step(v, None, [])
    assert step.command == "mlsvs verify --trait exposes_inference_api --trait genai"


def test_gaps_and_attestation_requirements_point_at_an_attestation():
    gap = Gap(item="models/big.bin", reason=GapReason.UNREADABLE, detail="Permission denied")
    step = next_step(_v(Verdict.NOT_VERIFIED, "coverage incomplete", gaps=(gap,)), None, [])
    assert step.command == "mlsvs attest template M6.1.1 -o attestations/M6.1.1.yaml"
    db = Gap(item="numpy==2.5.5", reason=GapReason.OUTSIDE_DATABASE, detail="no OSV snapshot")
    step = next_step(_v(Verdict.NOT_VERIFIED, "coverage incomplete", gaps=(gap, db)), None, [])
    assert step.command == "mlsvs advisories update"
    lfs = Gap(item="models/w.bin", reason=GapReason.NOT_PRESENT, detail="Git LFS pointer")
    step = next_step(_v(Verdict.NOT_VERIFIED, "coverage incomplete", gaps=(lfs,)), None, [])
    assert step.command == "git lfs pull"
    info = dataclasses.replace(
        builders.requirement_infos()[0], id="M6.1.1", verification=Verification.ATTEST
    )
    step = next_step(_v(Verdict.NOT_VERIFIED, "no attestation"), info, [])
    assert "documented evidence" in step.text and step.command.startswith("mlsvs attest")
    step = next_step(_v(Verdict.NOT_VERIFIED, "no check"), None, [])
    assert "No automated check exists" in step.text


@pytest.mark.parametrize(
    ("verdict", "basis", "command"),
    [
        (Verdict.PASS, Basis.AUTOMATED, ""),
        (Verdict.FAIL, Basis.AUTOMATED, ""),
        (Verdict.WAIVED, Basis.AUTOMATED, ""),
        (Verdict.ERROR, Basis.AUTOMATED, "mlsvs verify -v"),
        (Verdict.FAIL, Basis.ATTESTED, "mlsvs attest template M6.1.1 -o attestations/M6.1.1.yaml"),
    ],
)
def test_other_verdicts(verdict, basis, command):
    checks = [_check("MLC601", remediation="Hold out a test split.")]
    step = next_step(_v(verdict, "r", basis=basis), None, checks, failing_checks=["MLC601"])
    assert step.command == command
    if verdict in (Verdict.FAIL, Verdict.WAIVED) and basis is Basis.AUTOMATED:
        assert "Hold out a test split." in step.text


def test_every_requirement_of_a_fixture_gets_a_step(assessment):
    got = steps(assessment)
    assert set(got) == {v.requirement for v in assessment.verdicts}
    assert all(s.text for s in got.values())


@pytest.mark.slow
def test_a_real_run_without_model_exec_says_what_to_run(tmp_path):
    """The insecure example, only the model tests selected: they need --allow model-exec."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "insecure-classifier"
    out = tmp_path / "r.json"
    args = ["verify", str(example), "--no-progress", "--select", "MLC60*", "-f", f"json:{out}"]
    assert main(args) == 1
    a = load_assessment(out)
    m611 = next(v for v in a.verdicts if v.requirement == "M6.1.1")
    assert m611.reasons[0] == (
        "not verified: its check produced no result in this run (why, and what to run, below)"
    )
    assert m611.reasons[1].startswith("check MLC601 (")
    assert m611.reasons[1].endswith(
        "did not run: it loads and runs the model, which this run did not allow: rerun with "
        "--allow model-exec"
    )
    assert steps(a)["M6.1.1"].command == "mlsvs verify --allow model-exec"
    info = next(r for r in a.requirements if r.id == "M6.1.1")
    assert info.title and info.pass_criteria and info.how
    assert json.loads(out.read_text())["schema_version"] == "1.3"
