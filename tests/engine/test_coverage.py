"""Coverage is part of every verdict: gaps, not-verified outcomes, and undodgeable traits."""

from __future__ import annotations

import pytest

from mlsvs.engine.coverage import discovery_gaps
from mlsvs.engine.levels import compute_levels
from mlsvs.engine.verdicts import ApplicabilityProfile, Evidence, decide
from mlsvs.model.artifact import CardDocument, DeploymentConfig, ModelArtifact, Project
from mlsvs.model.catalog import Verification
from mlsvs.model.check import check
from mlsvs.model.coverage import Gap, GapReason, describe_gaps
from mlsvs.model.result import Finding, Severity, Status, TargetRef, not_verified, passed
from mlsvs.model.verdict import Basis, RequirementVerdict, Verdict
from tests.engine.test_verdicts import attestation, finding, req

UNREAD = Gap(item="models/a.pt", reason=GapReason.UNREADABLE, detail="Permission denied")


def _with_gaps(status: Status, *gaps: Gap) -> Finding:
    return Finding(
        id=f"x-{status}",
        check="MLC102",
        requirements=("M4.1.1",),
        severity=Severity.HIGH,
        status=status,
        target=TargetRef(path="m.pkl", kind="model"),
        message="m",
        gaps=gaps,
    )


def test_a_pass_with_a_gap_is_not_verified_and_names_it() -> None:
    ev = Evidence(
        requirement=req(Verification.STATIC),
        chapter_tags=frozenset(),
        findings=[finding(Status.PASS), _with_gaps(Status.PASS, UNREAD)],
        attestation=None,
        has_checks=True,
    )
    v = decide(ev, frozenset())
    assert v.verdict is Verdict.NOT_VERIFIED and v.basis is Basis.AUTOMATED
    assert v.gaps == (UNREAD,)
    assert "models/a.pt (unreadable: Permission denied)" in v.reasons[0]


def test_discovery_gaps_block_a_pass_and_an_attestation_does_not_stand_in() -> None:
    ev = Evidence(
        requirement=req(Verification.STATIC),
        chapter_tags=frozenset(),
        findings=[finding(Status.PASS)],
        attestation=attestation(),
        has_checks=True,
        gaps=(UNREAD,),
    )
    assert decide(ev, frozenset()).verdict is Verdict.NOT_VERIFIED


def test_all_not_applicable_with_a_gap_is_not_verified() -> None:
    ev = Evidence(
        requirement=req(Verification.STATIC),
        chapter_tags=frozenset(),
        findings=[finding(Status.NOT_APPLICABLE)],
        attestation=None,
        has_checks=True,
        gaps=(UNREAD,),
    )
    assert decide(ev, frozenset()).verdict is Verdict.NOT_VERIFIED


@pytest.mark.parametrize(
    ("status", "expected"),
    [(Status.FAIL, Verdict.FAIL), (Status.ERROR, Verdict.ERROR)],
)
def test_failures_and_errors_still_win_over_gaps(status: Status, expected: Verdict) -> None:
    ev = Evidence(
        requirement=req(Verification.STATIC),
        chapter_tags=frozenset(),
        findings=[_with_gaps(Status.NOT_VERIFIED, UNREAD), finding(status)],
        attestation=None,
        has_checks=True,
    )
    assert decide(ev, frozenset()).verdict is expected


def test_not_verified_needs_a_gap_and_keeps_it() -> None:
    with pytest.raises(ValueError, match="at least one gap"):
        not_verified("x", ())
    outcome = not_verified("could not read", UNREAD)
    assert outcome.status is Status.NOT_VERIFIED and outcome.gaps == (UNREAD,)
    assert passed("ok", gaps=[UNREAD]).gaps == (UNREAD,)


def test_describe_gaps_is_bounded() -> None:
    gaps = [Gap(item=f"f{i}", reason=GapReason.EMPTY) for i in range(8)]
    assert describe_gaps(gaps, limit=3) == "f0 (empty), f1 (empty), f2 (empty) and 5 more"


def _tagged(profile: ApplicabilityProfile) -> RequirementVerdict:
    ev = Evidence(
        requirement=req(Verification.STATIC, tags=frozenset({"exposes_inference_api"})),
        chapter_tags=frozenset(),
        findings=[],
        attestation=None,
        has_checks=True,
    )
    return decide(ev, profile)


def test_evidence_of_an_undeclared_trait_is_not_verified_never_na() -> None:
    seen = {"exposes_inference_api": ["app.py:3: FastAPI app in an ML project"]}
    v = _tagged(ApplicabilityProfile(declared=frozenset(), evidence=seen))
    assert v.verdict is Verdict.NOT_VERIFIED and v.basis is Basis.PROFILE
    assert "evidence of exposes_inference_api found (app.py:3" in v.reasons[0]
    assert "deny it" in v.reasons[0]


def test_a_denied_trait_is_na_with_its_reason_even_with_evidence() -> None:
    seen = {"exposes_inference_api": ["app.py: FastAPI app"]}
    denied = {"exposes_inference_api": "demo UI, never deployed"}
    v = _tagged(ApplicabilityProfile(declared=frozenset(), denied=denied, evidence=seen))
    assert v.verdict is Verdict.NOT_APPLICABLE
    assert "denied: demo UI, never deployed" in v.reasons[0]


def test_without_evidence_an_undeclared_trait_is_na() -> None:
    assert _tagged(ApplicabilityProfile(declared=frozenset())).verdict is Verdict.NOT_APPLICABLE


def test_requirement_with_two_tags_is_na_when_one_has_no_evidence() -> None:
    ev = Evidence(
        requirement=req(Verification.STATIC, tags=frozenset({"exposes_inference_api", "genai"})),
        chapter_tags=frozenset(),
        findings=[],
        attestation=None,
        has_checks=True,
    )
    seen = {"exposes_inference_api": ["app.py: Gradio app"]}
    assert decide(ev, ApplicabilityProfile(declared=frozenset(), evidence=seen)).verdict is (
        Verdict.NOT_APPLICABLE
    )


def _verdict(v: Verdict, rid: str) -> RequirementVerdict:
    return RequirementVerdict(
        requirement=rid, level=req(Verification.STATIC).level, verdict=v, basis=Basis.NONE,
        reasons=(),
    )  # fmt: skip


def test_levels_keep_not_applicable_apart_from_satisfied() -> None:
    verdicts = [
        _verdict(Verdict.PASS, "M1.1.1"),
        _verdict(Verdict.NOT_APPLICABLE, "M1.1.2"),
        _verdict(Verdict.NOT_APPLICABLE, "M1.1.3"),
    ]
    levels, achieved = compute_levels(verdicts)
    l1 = levels[0]
    assert (l1.applicable, l1.satisfied, l1.not_applicable, l1.met) == (1, 1, 2, True)
    assert achieved is not None


def _model_check(reads: tuple[type, ...] | None = None, applies_to: type = ModelArtifact):  # type: ignore[no-untyped-def]
    @check(
        id="MLC199",
        title="t",
        requirements=["M4.1.1"],
        applies_to=applies_to,
        severity=Severity.LOW,
        reads=reads,
    )
    def fn(ctx, target):  # type: ignore[no-untyped-def]
        yield passed("x")

    return fn


def test_discovery_gaps_reach_only_the_checks_they_could_concern() -> None:
    model_gap = Gap(item="w.pt", reason=GapReason.UNREADABLE, could_be=("ModelArtifact",))
    anything = Gap(item="blob", reason=GapReason.NOT_REGULAR)
    source_gap = Gap(item="a.py", reason=GapReason.UNREADABLE, could_be=("SourceFile",))
    gaps = (model_gap, anything, source_gap)
    assert discovery_gaps(_model_check(), gaps) == (model_gap, anything)
    docker = _model_check(applies_to=DeploymentConfig)
    assert discovery_gaps(docker, gaps) == (anything,)
    project_all = _model_check(applies_to=Project)
    assert discovery_gaps(project_all, gaps) == gaps
    cards = _model_check(applies_to=Project, reads=(CardDocument,))
    assert discovery_gaps(cards, gaps) == (anything,)
    assert discovery_gaps(_model_check(applies_to=Project, reads=()), gaps) == ()
