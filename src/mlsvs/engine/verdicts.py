"""Turn findings and attestations into one verdict per requirement.

Pure functions: no I/O, no clock. The rules, in order:

0. A requirement applies when *all* of its applicability tags (its own plus its chapter's) are
   declared, as the standard's level semantics say. It is NOT_APPLICABLE by profile when one
   of its undeclared tags is denied in the configuration or has no evidence in the project.
   When every undeclared tag has evidence (a Flask app serving a model, ``from_pretrained``)
   and none is denied, it is NOT_VERIFIED: "evidence of X found: declare or deny it". The
   profile cannot be dodged by leaving a trait out.
1. Any non-waived automated FAIL gives FAIL (automated failures beat human claims). A valid
   attestation claiming ``fail`` gives FAIL too.
2. Only waived FAILs give WAIVED.
3. Any ERROR gives ERROR.
3b. Any gap (an item a mapped check or discovery could not cover: unreadable, too large,
   unparseable, unsupported, outside the database) or NOT_VERIFIED outcome gives NOT_VERIFIED,
   with the gaps named. Incomplete coverage is never a pass, and an attestation does not stand
   in for what the checks could not read.
4. Otherwise by verification method:
   - a-static / a-runtime: PASS when checks ran and passed; NOT_APPLICABLE when every outcome
     was not applicable; with no automated evidence (no check registered, skipped, no target,
     or every check *abstained*: it found nothing of its kind in the project) a valid
     attestation may stand in (basis ATTESTED); else NOT_VERIFIED, naming what each abstaining
     check looked for. Absence in the project is never read as "does not apply".
   - attest: the valid attestation's claim, else NOT_VERIFIED.
   - hybrid: automated evidence *and* a valid attestation must both satisfy. When no check is
     registered for it, or every check ran and abstained, an attestation backed by at least one
     digest-verified evidence file carries both parts.
   A ``not_applicable`` claim always needs a justification (enforced when loading).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, assert_never

from mlsvs.model.attestation import Attestation, Claim, Validity
from mlsvs.model.catalog import Requirement, Verification
from mlsvs.model.coverage import Gap, GapReason, describe_gaps
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
    gaps: Sequence[Gap] = ()
    """Paths discovery could not read or classify that a mapped check could have needed."""
    check_titles: Mapping[str, str] = field(default_factory=dict)
    """Check ID -> title, so reasons name what a check verifies, not only its ID."""

    def named(self, checks: Sequence[str]) -> str:
        """``MLC101 (Model files load safely), MLC201`` for the reasons."""
        return ", ".join(
            f"{c} ({self.check_titles[c]})" if self.check_titles.get(c) else c for c in checks
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicabilityProfile:
    """The applicability profile of a run: what is declared, denied, and suggested."""

    declared: frozenset[str]
    denied: Mapping[str, str] = field(default_factory=dict)
    """Trait -> the reason the configuration gives for denying it."""
    evidence: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Trait -> what discovery saw that suggests it (``app.py: FastAPI app``)."""


def decide(evidence: Evidence, traits: frozenset[str] | ApplicabilityProfile) -> RequirementVerdict:
    """Decide one requirement (``traits``: the declared traits, or the whole profile)."""
    profile = (
        traits
        if isinstance(traits, ApplicabilityProfile)
        else ApplicabilityProfile(declared=traits)
    )
    req = evidence.requirement
    ids = tuple(f.id for f in evidence.findings)
    source = evidence.attestation.source if evidence.attestation else None

    def verdict(
        v: Verdict, basis: Basis, *why: str, gaps: tuple[Gap, ...] = ()
    ) -> RequirementVerdict:
        return RequirementVerdict(
            requirement=req.id,
            level=req.level,
            verdict=v,
            basis=basis,
            reasons=tuple(why),
            findings=ids,
            attestation=source,
            gaps=gaps,
        )

    tags = req.applicability | evidence.chapter_tags
    if not tags <= profile.declared:
        missing = tags - profile.declared
        measured = sorted(
            {
                f.check
                for f in evidence.findings
                if f.measurements and f.status in (Status.PASS, Status.FAIL)
            }
        )
        if measured and not any(t in profile.denied for t in missing):
            # a runtime test measured it: the trait is relevant, n/a would hide the result
            names = ", ".join(sorted(missing))
            return verdict(
                Verdict.NOT_VERIFIED,
                Basis.PROFILE,
                f"profile: {names} not declared in traits, yet {', '.join(measured)} measured "
                f"this requirement: declare trait {names} (or deny it with a reason under "
                "[denied_traits])",
            )
        return _by_profile(req, missing, profile)
    findings = evidence.findings
    failing = sorted({f.check for f in findings if f.status is Status.FAIL and not f.waiver})
    if failing:
        count = sum(1 for f in findings if f.status is Status.FAIL and not f.waiver)
        why = [f"failed: {count} finding(s) of {evidence.named(failing)}"]
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
    gaps = uncovered(evidence)
    if gaps:
        return verdict(
            Verdict.NOT_VERIFIED,
            Basis.AUTOMATED,
            f"coverage incomplete, {len(gaps)} item(s) not covered: {describe_gaps(gaps)}",
            gaps=gaps,
        )

    examined = [f for f in findings if f.status is not Status.ABSTAINED]
    automated = _automated(examined)
    not_run = (*evidence.not_run, *_abstentions(findings))
    match req.verification:
        case Verification.STATIC | Verification.RUNTIME:
            if automated is not Verdict.NOT_VERIFIED:
                return verdict(automated, Basis.AUTOMATED, _automated_reason(examined, evidence))
            if claim is not None:
                return verdict(
                    _from_claim(claim),
                    Basis.ATTESTED,
                    f"no automated evidence; attested in {source}",
                    *not_run,
                )
            return verdict(Verdict.NOT_VERIFIED, Basis.NONE, _missing(evidence, not_run), *not_run)
        case Verification.ATTEST:
            if claim is None:
                return verdict(
                    Verdict.NOT_VERIFIED,
                    Basis.NONE,
                    "not verified: this requirement is verified by a signed-off attestation "
                    f"and none valid was found; write one (mlsvs attest template {req.id})",
                )
            return verdict(_from_claim(claim), Basis.ATTESTED, f"attested in {source}")
        case Verification.HYBRID:
            return _hybrid(evidence, automated, claim, verdict, not_run)
        case _:
            assert_never(req.verification)


def uncovered(evidence: Evidence) -> tuple[Gap, ...]:
    """Every gap behind a requirement: discovery's and each non-failing finding's, sorted."""
    found: set[Gap] = set(evidence.gaps)
    for f in evidence.findings:
        found.update(f.gaps)
        if f.status is Status.NOT_VERIFIED and not f.gaps:
            found.add(Gap(item=f.target.path, reason=GapReason.UNSUPPORTED, detail=f.message))
    return tuple(sorted(found, key=lambda g: (g.item, g.reason.value, g.detail)))


def _by_profile(
    req: Requirement, missing: frozenset[str], profile: ApplicabilityProfile
) -> RequirementVerdict:
    """N/A when an undeclared tag is denied or unsupported by evidence; else not verified."""

    def verdict(v: Verdict, *why: str) -> RequirementVerdict:
        return RequirementVerdict(
            requirement=req.id, level=req.level, verdict=v, basis=Basis.PROFILE, reasons=why
        )

    denied = sorted(t for t in missing if t in profile.denied)
    if denied:
        why = "; ".join(f"{t} denied: {profile.denied[t]}" for t in denied)
        return verdict(Verdict.NOT_APPLICABLE, f"profile: {why}")
    quiet = sorted(t for t in missing if not profile.evidence.get(t))
    if quiet:
        return verdict(
            Verdict.NOT_APPLICABLE, f"profile: {', '.join(quiet)} not declared in traits"
        )
    reasons = []
    for trait in sorted(missing):
        seen = sorted(set(profile.evidence[trait]))
        more = f" and {len(seen) - 3} more" if len(seen) > 3 else ""
        reasons.append(
            f"evidence of {trait} found ({'; '.join(seen[:3])}{more}): declare it in traits "
            f"or deny it with a reason under [denied_traits]"
        )
    return verdict(Verdict.NOT_VERIFIED, *reasons)


def _hybrid(
    evidence: Evidence,
    automated: Verdict,
    claim: Claim | None,
    verdict: _Make,
    not_run: tuple[str, ...],
) -> RequirementVerdict:
    source = evidence.attestation.source if evidence.attestation else ""
    if claim is Claim.NOT_APPLICABLE:
        return verdict(Verdict.NOT_APPLICABLE, Basis.ATTESTED, f"justified as n/a in {source}")
    if claim is None:
        return verdict(
            Verdict.NOT_VERIFIED,
            Basis.AUTOMATED if automated.satisfies else Basis.NONE,
            _hybrid_without_claim(evidence.requirement.id, automated),
            *not_run,
        )
    if automated.satisfies:
        return verdict(Verdict.PASS, Basis.BOTH, f"checks passed and attestation {source} is valid")
    if not evidence.has_checks and _has_verified_files(evidence.attestation):
        return verdict(
            Verdict.PASS,
            Basis.ATTESTED,
            f"no automated check exists; attestation {source} carries digest-verified evidence",
        )
    if _all_abstained(evidence) and _has_verified_files(evidence.attestation):
        # Every check ran and found nothing of its kind here (the evidence lives outside the
        # project): as when no check exists, digest-verified files carry the automated part.
        return verdict(
            Verdict.PASS,
            Basis.ATTESTED,
            f"its checks found nothing to examine; attestation {source} carries "
            "digest-verified evidence",
            *not_run,
        )
    return verdict(
        Verdict.NOT_VERIFIED,
        Basis.ATTESTED,
        f"attested in {source} but automated evidence is missing",
        *(not_run or (_missing(evidence, not_run),)),
    )


def _hybrid_without_claim(rid: str, automated: Verdict) -> str:
    if automated.satisfies:
        part = f"the automated checks gave {automated.value.replace('_', ' ')}"
    else:
        part = "the automated part is not verified either"
    return (
        f"not verified: this requirement needs automated evidence and a signed-off attestation; "
        f"no valid attestation was found ({part}); write one (mlsvs attest template {rid})"
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


def _automated_reason(findings: Sequence[Finding], evidence: Evidence) -> str:
    checks = sorted({f.check for f in findings})
    if all(f.status is Status.NOT_APPLICABLE for f in findings):
        notes = sorted({f.message for f in findings})
        return f"not applicable per {', '.join(checks)}: {'; '.join(notes[:3])}"
    return f"passed: {evidence.named(checks)}"


def _all_abstained(evidence: Evidence) -> bool:
    """Checks ran (none was skipped) and every one of them abstained."""
    return (
        bool(evidence.findings)
        and not evidence.not_run
        and all(f.status is Status.ABSTAINED for f in evidence.findings)
    )


def _abstentions(findings: Sequence[Finding]) -> tuple[str, ...]:
    """What each abstaining check looked for and did not find, one line per check."""
    looked: dict[str, list[str]] = {}
    for f in findings:
        if f.status is Status.ABSTAINED and f.message not in looked.setdefault(f.check, []):
            looked[f.check].append(f.message)
    return tuple(
        f"check {check} found nothing to examine: {'; '.join(messages[:3])}"
        for check, messages in sorted(looked.items())
    )


def _missing(evidence: Evidence, not_run: tuple[str, ...]) -> str:
    rid = evidence.requirement.id
    if not evidence.has_checks:
        return (
            "not verified: no automated check exists for this requirement and no valid "
            f"attestation was found; attest it (mlsvs attest template {rid})"
        )
    if not_run and not evidence.not_run:
        return (
            "not verified: its checks found nothing to examine (below); provide what they look "
            f"for, or attest it (mlsvs attest template {rid})"
        )
    if not_run:
        count = len(not_run)
        which = (
            "its check produced no result"
            if count == 1
            else (f"none of its {count} checks produced a result")
        )
        return f"not verified: {which} in this run (why, and what to run, below)"
    return (
        "not verified: its checks ran but reported nothing about this requirement; "
        f"attest it (mlsvs attest template {rid})"
    )


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
