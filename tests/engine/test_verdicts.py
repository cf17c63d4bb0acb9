"""Verdict rules, one case per rule, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from mlsvs.engine.levels import compute_levels
from mlsvs.engine.verdicts import Evidence, decide, newest_valid
from mlsvs.model.attestation import Attestation, Claim, EvidenceRef, Validity
from mlsvs.model.catalog import Guidance, Level, Requirement, Verification
from mlsvs.model.result import Finding, Severity, Status, TargetRef
from mlsvs.model.verdict import Basis, RequirementVerdict, Verdict


def req(
    method: Verification, *, tags: frozenset[str] = frozenset(), level: int = 1, rid: str = "M4.1.1"
) -> Requirement:
    return Requirement(
        id=rid,
        chapter="M4",
        section="M4.1",
        title="t",
        text="Verify that x.",
        level=Level(level),
        verification=method,
        evidence=(),
        pass_criteria="p",
        fail_condition="f",
        applicability=tags,
        guidance=Guidance(why="", how=""),
    )


def finding(status: Status, *, waiver: str | None = None, check: str = "MLC101") -> Finding:
    return Finding(
        id=f"{check}-{status}",
        check=check,
        requirements=("M4.1.1",),
        severity=Severity.HIGH,
        status=status,
        target=TargetRef(path="m.pkl", kind="model"),
        message="m",
        waiver=waiver,
    )


def attestation(claim: Claim = Claim.PASS, *, files: bool = True) -> Attestation:
    evidence = (
        (EvidenceRef(path="doc.md", sha256="a" * 64, actual_sha256="a" * 64),) if files else ()
    )
    return Attestation(
        source="attestations/x.yaml",
        requirement="M4.1.1",
        claim=claim,
        statement="s",
        evidence=evidence,
        date=dt.date(2026, 1, 1),
        expires=dt.date(2027, 1, 1),
        validity=Validity.VALID,
    )


def verdict_of(
    requirement: Requirement,
    findings=(),
    att=None,
    *,
    has_checks=True,
    traits=frozenset(),
    chapter_tags=frozenset(),
) -> RequirementVerdict:
    return decide(
        Evidence(
            requirement=requirement,
            chapter_tags=chapter_tags,
            findings=tuple(findings),
            attestation=att,
            has_checks=has_checks,
        ),
        frozenset(traits),
    )


def test_undeclared_trait_makes_requirement_not_applicable() -> None:
    v = verdict_of(req(Verification.STATIC, tags=frozenset({"genai"})), [finding(Status.FAIL)])
    assert v.verdict is Verdict.NOT_APPLICABLE
    assert v.basis is Basis.PROFILE


def test_undeclared_trait_with_a_runtime_measurement_asks_for_the_trait() -> None:
    from dataclasses import replace

    from mlsvs.model.result import Measurement

    measured = replace(
        finding(Status.FAIL, check="MLC610"),
        measurements=(Measurement(name="mia_auc", value=0.9),),
    )
    v = verdict_of(req(Verification.RUNTIME, tags=frozenset({"personal_data"})), [measured])
    assert v.verdict is Verdict.NOT_VERIFIED
    assert "declare trait personal_data" in v.reasons[0] and "MLC610" in v.reasons[0]


def test_chapter_tags_apply_to_every_requirement() -> None:
    v = verdict_of(
        req(Verification.STATIC), [finding(Status.PASS)], chapter_tags=frozenset({"genai"})
    )
    assert v.verdict is Verdict.NOT_APPLICABLE
    v = verdict_of(
        req(Verification.STATIC),
        [finding(Status.PASS)],
        traits={"genai"},
        chapter_tags=frozenset({"genai"}),
    )
    assert v.verdict is Verdict.PASS


def test_automated_failure_beats_attested_pass() -> None:
    v = verdict_of(req(Verification.HYBRID), [finding(Status.FAIL)], attestation())
    assert v.verdict is Verdict.FAIL
    assert any("overrides" in r for r in v.reasons)


def test_only_waived_failures_give_waived() -> None:
    v = verdict_of(
        req(Verification.STATIC),
        [finding(Status.FAIL, waiver="w1"), finding(Status.PASS, check="MLC102")],
    )
    assert v.verdict is Verdict.WAIVED


def test_error_blocks_and_is_never_a_pass() -> None:
    v = verdict_of(req(Verification.STATIC), [finding(Status.ERROR), finding(Status.PASS)])
    assert v.verdict is Verdict.ERROR


def test_no_evidence_is_not_verified() -> None:
    assert verdict_of(req(Verification.STATIC)).verdict is Verdict.NOT_VERIFIED
    assert verdict_of(req(Verification.ATTEST)).verdict is Verdict.NOT_VERIFIED
    assert (
        verdict_of(req(Verification.HYBRID), [finding(Status.PASS)]).verdict is Verdict.NOT_VERIFIED
    )


def test_all_not_applicable_outcomes_give_not_applicable() -> None:
    v = verdict_of(req(Verification.STATIC), [finding(Status.NOT_APPLICABLE)])
    assert v.verdict is Verdict.NOT_APPLICABLE


def test_static_requirement_falls_back_to_attestation_without_automated_evidence() -> None:
    v = verdict_of(req(Verification.STATIC), att=attestation(), has_checks=False)
    assert v.verdict is Verdict.PASS
    assert v.basis is Basis.ATTESTED


def test_hybrid_needs_both_parts() -> None:
    assert (
        verdict_of(req(Verification.HYBRID), [finding(Status.PASS)], attestation()).verdict
        is Verdict.PASS
    )
    # A registered check that produced nothing: the attestation alone is not enough.
    assert verdict_of(req(Verification.HYBRID), [], attestation()).verdict is Verdict.NOT_VERIFIED
    # No check exists: digest-verified evidence files carry the automated part...
    assert (
        verdict_of(req(Verification.HYBRID), [], attestation(), has_checks=False).verdict
        is Verdict.PASS
    )
    # ...but a bare statement does not.
    assert (
        verdict_of(req(Verification.HYBRID), [], attestation(files=False), has_checks=False).verdict
        is Verdict.NOT_VERIFIED
    )


def test_attested_fail_and_not_applicable() -> None:
    assert verdict_of(req(Verification.ATTEST), att=attestation(Claim.FAIL)).verdict is Verdict.FAIL
    assert (
        verdict_of(req(Verification.ATTEST), att=attestation(Claim.NOT_APPLICABLE)).verdict
        is Verdict.NOT_APPLICABLE
    )


def test_newest_valid_attestation_wins() -> None:
    old = attestation()
    new = Attestation(
        source="attestations/y.yaml",
        requirement="M4.1.1",
        claim=Claim.FAIL,
        statement="s",
        date=dt.date(2026, 6, 1),
        expires=dt.date(2027, 1, 1),
        validity=Validity.VALID,
    )
    expired = Attestation(
        source="attestations/z.yaml",
        requirement="M4.1.1",
        claim=Claim.PASS,
        statement="s",
        date=dt.date(2026, 9, 1),
        expires=dt.date(2026, 10, 1),
        validity=Validity.EXPIRED,
    )
    assert newest_valid([new, old, expired])["M4.1.1"].source == "attestations/y.yaml"


def _v(rid: str, level: int, verdict: Verdict) -> RequirementVerdict:
    return RequirementVerdict(
        requirement=rid, level=Level(level), verdict=verdict, basis=Basis.NONE, reasons=()
    )


@pytest.mark.parametrize(
    ("verdicts", "achieved"),
    [
        ([_v("M1.1.1", 1, Verdict.PASS), _v("M1.1.2", 2, Verdict.PASS)], Level.L3),
        ([_v("M1.1.1", 1, Verdict.PASS), _v("M1.1.2", 2, Verdict.FAIL)], Level.L1),
        ([_v("M1.1.1", 1, Verdict.NOT_VERIFIED), _v("M1.1.2", 2, Verdict.PASS)], None),
        ([_v("M1.1.1", 1, Verdict.NOT_APPLICABLE), _v("M1.1.2", 3, Verdict.ERROR)], Level.L2),
    ],
)
def test_achieved_level_is_highest_fully_met(verdicts, achieved) -> None:
    levels, got = compute_levels(verdicts)
    assert got == achieved
    assert [lr.level for lr in levels] == [Level.L1, Level.L2, Level.L3]


def test_levels_list_blockers_and_waiver_policy() -> None:
    verdicts = [_v("M10.1.1", 1, Verdict.WAIVED), _v("M2.1.1", 1, Verdict.FAIL)]
    levels, achieved = compute_levels(verdicts)
    assert achieved is None
    assert levels[0].blocking == ("M2.1.1", "M10.1.1")  # numeric, not lexical, order
    levels, _ = compute_levels(verdicts, waived_satisfies=True)
    assert levels[0].blocking == ("M2.1.1",)


def test_requirement_applies_only_when_all_its_tags_are_declared() -> None:
    both = frozenset({"personal_data", "trains_in_house"})
    requirement = req(Verification.STATIC, tags=both)
    partial = verdict_of(requirement, [finding(Status.FAIL)], traits={"personal_data"})
    assert partial.verdict is Verdict.NOT_APPLICABLE
    assert "trains_in_house" in partial.reasons[0]
    assert verdict_of(requirement, [finding(Status.FAIL)], traits=both).verdict is Verdict.FAIL


def test_reasons_say_what_happened_and_what_to_run() -> None:
    skipped = (
        "check MLC601 (Clean accuracy) did not run: it loads and runs the model, which this run "
        "did not allow: rerun with --allow model-exec"
    )
    ran_nothing = decide(
        Evidence(
            requirement=req(Verification.RUNTIME),
            chapter_tags=frozenset(),
            findings=(),
            attestation=None,
            has_checks=True,
            not_run=(skipped,),
        ),
        frozenset(),
    )
    assert ran_nothing.reasons == (
        "not verified: its check produced no result in this run (why, and what to run, below)",
        skipped,
    )
    no_check = decide(
        Evidence(
            requirement=req(Verification.STATIC),
            chapter_tags=frozenset(),
            findings=(),
            attestation=None,
            has_checks=False,
        ),
        frozenset(),
    )
    assert no_check.reasons[0].endswith("attest it (mlsvs attest template M4.1.1)")
    for method, words in (
        (Verification.ATTEST, "verified by a signed-off attestation"),
        (Verification.HYBRID, "needs automated evidence and a signed-off attestation"),
    ):
        v = decide(
            Evidence(
                requirement=req(method),
                chapter_tags=frozenset(),
                findings=(),
                attestation=None,
                has_checks=False,
            ),
            frozenset(),
        )
        assert v.verdict is Verdict.NOT_VERIFIED
        assert words in v.reasons[0] and "(mlsvs attest template M4.1.1)" in v.reasons[0]
        assert "not_verified" not in v.reasons[0]  # no internal enum names


def test_failure_and_pass_reasons_name_the_checks_by_title() -> None:
    titles = {"MLC101": "Model files cannot run code on load"}
    failing = decide(
        Evidence(
            requirement=req(Verification.STATIC),
            chapter_tags=frozenset(),
            findings=(finding(Status.FAIL), finding(Status.PASS, check="MLC102")),
            attestation=None,
            has_checks=True,
            check_titles=titles,
        ),
        frozenset(),
    )
    assert failing.reasons == (
        "failed: 1 finding(s) of MLC101 (Model files cannot run code on load)",
    )
    passing = decide(
        Evidence(
            requirement=req(Verification.STATIC),
            chapter_tags=frozenset(),
            findings=(finding(Status.PASS), finding(Status.PASS, check="MLC102")),
            attestation=None,
            has_checks=True,
            check_titles=titles,
        ),
        frozenset(),
    )
    assert passing.reasons == ("passed: MLC101 (Model files cannot run code on load), MLC102",)


def _abstaining(check: str = "MLC702") -> Finding:
    from dataclasses import replace

    return replace(finding(Status.ABSTAINED, check=check), message="no dataset files")


def test_an_abstaining_check_neither_passes_nor_makes_the_requirement_not_applicable() -> None:
    static = req(Verification.STATIC)
    alone = verdict_of(static, [_abstaining()])
    assert alone.verdict is Verdict.NOT_VERIFIED
    assert alone.basis is Basis.NONE
    assert "found nothing to examine" in alone.reasons[0]
    assert alone.reasons[1] == "check MLC702 found nothing to examine: no dataset files"
    attested = verdict_of(static, [_abstaining()], attestation(Claim.PASS))
    assert (attested.verdict, attested.basis) == (Verdict.PASS, Basis.ATTESTED)
    justified_na = verdict_of(static, [_abstaining()], attestation(Claim.NOT_APPLICABLE))
    assert justified_na.verdict is Verdict.NOT_APPLICABLE
    # another check that examined something decides; the abstention is not a vote
    mixed = verdict_of(static, [_abstaining(), finding(Status.PASS, check="MLC201")])
    assert (mixed.verdict, mixed.basis) == (Verdict.PASS, Basis.AUTOMATED)
    assert "MLC702" not in mixed.reasons[0]
    na = verdict_of(static, [_abstaining(), finding(Status.NOT_APPLICABLE, check="MLC201")])
    assert na.verdict is Verdict.NOT_APPLICABLE
    assert "MLC702" not in na.reasons[0]


def test_hybrid_with_only_abstentions_needs_an_attestation_with_verified_files() -> None:
    hybrid = req(Verification.HYBRID)
    assert verdict_of(hybrid, [_abstaining()]).verdict is Verdict.NOT_VERIFIED
    with_files = verdict_of(hybrid, [_abstaining()], attestation(Claim.PASS))
    assert (with_files.verdict, with_files.basis) == (Verdict.PASS, Basis.ATTESTED)
    bare = verdict_of(hybrid, [_abstaining()], attestation(Claim.PASS, files=False))
    assert bare.verdict is Verdict.NOT_VERIFIED
