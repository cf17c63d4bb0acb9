"""Turn findings and attestations into one verdict per requirement.

Pure functions: no I/O, no clock. The rules, in order:

0. A requirement applies when *all* of its applicability tags (its own plus its chapter's) are
   declared, as the standard's level semantics say; otherwise it is NOT_APPLICABLE by profile.
1. Any non-waived automated FAIL gives FAIL (automated failures beat human claims). A valid
   attestation claiming ``fail`` gives FAIL too.
2. Only waived FAILs give WAIVED.
3. Any ERROR gives ERROR.
4. Otherwise by verification method:
   - a-static / a-runtime: PASS when checks ran and passed; NOT_APPLICABLE when every outcome
     was not applicable; with no automated evidence (no check registered, skipped, or no target)
     a valid attestation may stand in (basis ATTESTED); else NOT_VERIFIED.
   - attest: the valid attestation's claim, else NOT_VERIFIED.
   - hybrid: automated evidence *and* a valid attestation must both satisfy. When no check is
     registered for it, an attestation backed by at least one digest-verified evidence file
     carries both parts.
   A ``not_applicable`` claim always needs a justification (enforced when loading).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, assert_never

from mlsvs.model.attestation import Attestation, Claim, Validity
from mlsvs.model.catalog import Requirement, Verification
from mlsvs.model.result import Finding, Status
from mlsvs.model.verdict import Basis, RequirementVerdict, Verdict


class _Make(Protocol):
    def __call__(self, v: Verdict, basis: Basis, *why: str) -> RequirementVerdict: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Everything known about one requirement when deciding it."""

    requirement: Requirement
    chapter_tags: frozenset[str]
    findings: Sequence[Finding]
    attestation: Attestation | None
    """The newest VALID attestation for the requirement, if any."""
    has_checks: bool
    """Whether any registered check maps to the requirement."""
    not_run: Sequence[str] = ()
    """Why mapped checks produced nothing (skipped, no target)."""


def decide(evidence: Evidence, traits: frozenset[str]) -> RequirementVerdict:
    """Decide one requirement."""
    req = evidence.requirement
    ids = tuple(f.id for f in evidence.findings)
    source = evidence.attestation.source if evidence.attestation else None

    def verdict(v: Verdict, basis: Basis, *why: str) -> RequirementVerdict:
        return RequirementVerdict(
            requirement=req.id,
            level=req.level,
            verdict=v,
            basis=basis,
            reasons=tuple(why),
            findings=ids,
            attestation=source,
        )

    tags = req.applicability | evidence.chapter_tags
    if not tags <= traits:
        missing = ", ".join(sorted(tags - traits))
        measured = sorted(
            {
                f.check
                for f in evidence.findings
                if f.measurements and f.status in (Status.PASS, Status.FAIL)
            }
        )
        if measured:  # a runtime test measured it: the trait is relevant, n/a would hide it
            return verdict(
                Verdict.NOT_VERIFIED,
                Basis.PROFILE,
                f"profile: {missing} not declared in traits, yet {', '.join(measured)} measured "
                f"this requirement: declare trait {missing} (or attest not_applicable with a "
                "justification)",
            )
        return RequirementVerdict(
            requirement=req.id,
            level=req.level,
            verdict=Verdict.NOT_APPLICABLE,
            basis=Basis.PROFILE,
            reasons=(f"profile: {missing} not declared in traits",),
        )
    findings = evidence.findings
    failing = sorted({f.check for f in findings if f.status is Status.FAIL and not f.waiver})
    if failing:
        why = [f"failed: {', '.join(failing)}"]
        if evidence.attestation and evidence.attestation.claim is Claim.PASS:
            why.append(f"automated failure overrides the pass claim in {source}")
        return verdict(Verdict.FAIL, Basis.AUTOMATED, *why)
    claim = evidence.attestation.claim if evidence.attestation else None
    if claim is Claim.FAIL:
        return verdict(Verdict.FAIL, Basis.ATTESTED, f"attested as failing in {source}")
    waived = sorted({f.check for f in findings if f.status is Status.FAIL})
    if waived:
        return verdict(Verdict.WAIVED, Basis.AUTOMATED, f"waived failures: {', '.join(waived)}")
    errored = sorted({f.check for f in findings if f.status is Status.ERROR})
    if errored:
        messages = sorted({f"{f.check}: {f.message}" for f in findings if f.status is Status.ERROR})
        return verdict(Verdict.ERROR, Basis.AUTOMATED, *messages[:5])

    automated = _automated(findings)
    not_run = tuple(evidence.not_run)
    match req.verification:
        case Verification.STATIC | Verification.RUNTIME:
            if automated is not Verdict.NOT_VERIFIED:
                return verdict(automated, Basis.AUTOMATED, _automated_reason(findings))
            if claim is not None:
                return verdict(
                    _from_claim(claim),
                    Basis.ATTESTED,
                    f"no automated evidence; attested in {source}",
                    *not_run,
                )
            return verdict(Verdict.NOT_VERIFIED, Basis.NONE, _missing(evidence), *not_run)
        case Verification.ATTEST:
            if claim is None:
                return verdict(Verdict.NOT_VERIFIED, Basis.NONE, "no valid attestation")
            return verdict(_from_claim(claim), Basis.ATTESTED, f"attested in {source}")
        case Verification.HYBRID:
            return _hybrid(evidence, automated, claim, verdict)
        case _:
            assert_never(req.verification)


def _hybrid(
    evidence: Evidence, automated: Verdict, claim: Claim | None, verdict: _Make
) -> RequirementVerdict:
    source = evidence.attestation.source if evidence.attestation else ""
    if claim is Claim.NOT_APPLICABLE:
        return verdict(Verdict.NOT_APPLICABLE, Basis.ATTESTED, f"justified as n/a in {source}")
    if claim is None:
        return verdict(
            Verdict.NOT_VERIFIED,
            Basis.AUTOMATED if automated.satisfies else Basis.NONE,
            f"checks: {automated}; a signed-off attestation is also required",
            *evidence.not_run,
        )
    if automated.satisfies:
        return verdict(Verdict.PASS, Basis.BOTH, f"checks passed and attestation {source} is valid")
    if not evidence.has_checks and _has_verified_files(evidence.attestation):
        return verdict(
            Verdict.PASS,
            Basis.ATTESTED,
            f"no automated check exists; attestation {source} carries digest-verified evidence",
        )
    return verdict(
        Verdict.NOT_VERIFIED,
        Basis.ATTESTED,
        f"attested in {source} but automated evidence is missing",
        *(evidence.not_run or (_missing(evidence),)),
    )


def _has_verified_files(attestation: Attestation | None) -> bool:
    return (
        attestation is not None
        and attestation.validity is Validity.VALID
        and any(
            ref.path is not None and ref.sha256 == ref.actual_sha256 for ref in attestation.evidence
        )
    )


def _automated(findings: Sequence[Finding]) -> Verdict:
    # An empty list is not a pass: nothing ran, so nothing was verified.
    if not findings:
        return Verdict.NOT_VERIFIED
    if all(f.status is Status.NOT_APPLICABLE for f in findings):
        return Verdict.NOT_APPLICABLE
    return Verdict.PASS


def _automated_reason(findings: Sequence[Finding]) -> str:
    checks = sorted({f.check for f in findings})
    if all(f.status is Status.NOT_APPLICABLE for f in findings):
        notes = sorted({f.message for f in findings})
        return f"not applicable per {', '.join(checks)}: {'; '.join(notes[:3])}"
    return f"passed: {', '.join(checks)}"


def _missing(evidence: Evidence) -> str:
    if not evidence.has_checks:
        return "no automated check covers this requirement and no valid attestation exists"
    return "mapped checks produced no evidence"


def _from_claim(claim: Claim) -> Verdict:
    match claim:
        case Claim.PASS:
            return Verdict.PASS
        case Claim.FAIL:
            return Verdict.FAIL
        case Claim.NOT_APPLICABLE:
            return Verdict.NOT_APPLICABLE
        case _:
            assert_never(claim)


def newest_valid(attestations: Sequence[Attestation]) -> dict[str, Attestation]:
    """The newest VALID attestation per requirement (ties broken by file name)."""
    chosen: dict[str, Attestation] = {}
    ordered = sorted(attestations, key=lambda a: (a.date.isoformat() if a.date else "", a.source))
    for attestation in ordered:
        if attestation.validity is Validity.VALID:
            chosen[attestation.requirement] = attestation
    return chosen
