"""What to do next about one requirement: a sentence and, where one exists, the command.

Pure functions of the assessment. The command is derived from structured data (the skip
reasons of the checks mapped to the requirement, the profile's trait evidence, the
verification method) so every report format gives the same advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never

from mlsvs.model.assessment import CheckState, SkipCause
from mlsvs.model.catalog import Verification
from mlsvs.model.coverage import GapReason
from mlsvs.model.verdict import Basis, Verdict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlsvs.model.assessment import Assessment, CheckRecord, RequirementInfo
    from mlsvs.model.verdict import RequirementVerdict

_UNDECLARED = re.compile(r"evidence of ([a-z_][a-z0-9_]*) found")
_NOT_DECLARED = re.compile(r"profile: ([a-z_][a-z0-9_, ]*) not declared in traits")
_ATTEST_HINT = "attestations/{rid}.yaml"


@dataclass(frozen=True, slots=True, kw_only=True)
class NextStep:
    """One concrete next step: what to do, and the command that does it (may be empty)."""

    text: str
    command: str = ""


def checks_by_requirement(a: Assessment) -> dict[str, list[CheckRecord]]:
    """Check records under every requirement they map to."""
    out: dict[str, list[CheckRecord]] = {}
    for record in sorted(a.checks, key=lambda c: c.id):
        for rid in record.requirements:
            out.setdefault(rid, []).append(record)
    return out


def next_step(
    v: RequirementVerdict,
    info: RequirementInfo | None,
    checks: Sequence[CheckRecord] = (),
    *,
    failing_checks: Sequence[str] = (),
) -> NextStep:
    """The next step for ``v`` (``failing_checks``: IDs of checks with a failed finding)."""
    attest = f"mlsvs attest template {v.requirement} -o {_ATTEST_HINT.format(rid=v.requirement)}"
    match v.verdict:
        case Verdict.PASS:
            return NextStep(
                text="Nothing to do now; keep it passing by running mlsvs verify in CI."
            )
        case Verdict.NOT_APPLICABLE:
            if v.basis is Basis.PROFILE:
                return NextStep(
                    text="Nothing to do unless the trait it depends on applies to this system; "
                    "then declare it and verify again.",
                    command=_trait_command(v) or "",
                )
            return NextStep(text="Nothing to do: the checks found nothing this applies to.")
        case Verdict.FAIL:
            fixes = [c.remediation for c in checks if c.id in failing_checks and c.remediation]
            if v.basis is Basis.ATTESTED:
                text = "Fix what the attestation records as failing, then renew the attestation."
                return NextStep(text=text, command=attest)
            text = fixes[0] if fixes else _how(info) or "see the evidence below."
            return NextStep(text=f"Fix the failed findings, then verify again: {text}")
        case Verdict.WAIVED:
            fixes = [c.remediation for c in checks if c.id in failing_checks and c.remediation]
            text = fixes[0] if fixes else _how(info) or "fix the failed findings"
            return NextStep(text=f"A waiver hides the failure for now; before it expires: {text}")
        case Verdict.ERROR:
            return NextStep(
                text="A check could not finish (the error is shown above); fix its cause "
                "(configuration, an unreadable file) and run again with tracebacks.",
                command="mlsvs verify -v",
            )
        case Verdict.NOT_VERIFIED:
            return _not_verified(v, info, checks, attest)
        case _:
            assert_never(v.verdict)


def _not_verified(
    v: RequirementVerdict,
    info: RequirementInfo | None,
    checks: Sequence[CheckRecord],
    attest: str,
) -> NextStep:
    trait = _trait_command(v)
    if trait:
        return NextStep(
            text="Discovery found signs that a trait applies: declare it (traits in "
            "mlsvs.toml) or deny it with a reason under [denied_traits].",
            command=trait,
        )
    if v.gaps:
        return _gap_step(v, attest)
    skipped = [c for c in checks if c.state is CheckState.SKIPPED]
    allowed = [c for c in skipped if c.skip_cause is SkipCause.CAPABILITY]
    allow = sorted({n for c in allowed for n in c.skip_needs})
    pips = sorted({n for c in skipped if c.skip_cause is SkipCause.MODULE for n in c.skip_needs})
    if pips:
        return NextStep(
            text="Its checks need optional packages that are not installed.",
            command=f"pip install {_merge_extras(pips)}",
        )
    if allow:
        words = " and ".join(
            {"model-exec": "run the model", "network": "use the network"}.get(c, c) for c in allow
        )
        return NextStep(
            text=f"Its checks did not run because this run did not allow them to {words}.",
            command=f"mlsvs verify --allow {','.join(allow)}",
        )
    if info is not None and info.verification in (Verification.ATTEST, Verification.HYBRID):
        what = "documented evidence" if info.verification is Verification.ATTEST else "a sign-off"
        return NextStep(
            text=f"Record {what} in an attestation (evidence files are hashed), then verify.",
            command=attest,
        )
    if not checks:
        return NextStep(
            text="No automated check exists for it yet: record the evidence in an attestation.",
            command=attest,
        )
    return NextStep(
        text="Its checks found nothing to examine: add what they look for (listed above), "
        "or attest the requirement.",
        command=attest,
    )


_GAP_STEPS: dict[GapReason, tuple[str, str]] = {
    GapReason.OUTSIDE_DATABASE: (
        "The advisory data does not cover these packages: fetch the current OSV database "
        "(downloads once; mlsvs advisories import FILE works offline), then verify again.",
        "mlsvs advisories update",
    ),
    GapReason.NOT_PRESENT: (
        "The files are pointers (Git LFS or git-annex): fetch their content, then verify.",
        "git lfs pull",
    ),
    GapReason.LIMIT: (
        "A discovery limit stopped the walk: raise [limits] in mlsvs.toml or exclude what "
        "need not be verified, then verify.",
        "",
    ),
    GapReason.TOO_LARGE: (
        "Some items are over a size limit: raise [limits] max_file_mb in mlsvs.toml, or "
        "attest the requirement.",
        "",
    ),
}


def _gap_step(v: RequirementVerdict, attest: str) -> NextStep:
    """The step for the commonest reason items were not covered."""
    reasons = sorted({g.reason for g in v.gaps}, key=lambda r: r.value)
    for reason in reasons:
        if reason in _GAP_STEPS:
            text, command = _GAP_STEPS[reason]
            return NextStep(text=text, command=command)
    return NextStep(
        text="Some items could not be read or are not supported (listed above): make them "
        "readable or convert them to a supported format, or attest the requirement.",
        command=attest,
    )


def _trait_command(v: RequirementVerdict) -> str:
    traits: list[str] = []
    for reason in v.reasons:
        traits += _UNDECLARED.findall(reason)
        for m in _NOT_DECLARED.finditer(reason):
            traits += [t.strip() for t in m[1].split(",") if t.strip()]
    unique = sorted(set(traits))
    return " ".join(["mlsvs verify", *(f"--trait {t}" for t in unique)]) if unique else ""


def _merge_extras(specs: Sequence[str]) -> str:
    """pip arguments: every ``mlsvs[...]`` spec merged into one (quoted for the shell), then
    the other packages as they are."""
    extras: set[str] = set()
    others: list[str] = []
    for spec in specs:
        if spec.startswith("mlsvs[") and spec.endswith("]"):
            extras.update(e for e in spec[len("mlsvs[") : -1].split(",") if e)
        elif spec not in others:
            others.append(spec)
    merged = [f"'mlsvs[{','.join(sorted(extras))}]'"] if extras else []
    return " ".join([*merged, *others])


def _how(info: RequirementInfo | None) -> str:
    return info.how.strip() if info is not None else ""


def steps(a: Assessment) -> Mapping[str, NextStep]:
    """The next step for every requirement of ``a``."""
    from mlsvs.model.result import Status

    infos = {r.id: r for r in a.requirements}
    checks = checks_by_requirement(a)
    failing: dict[str, set[str]] = {}
    for f in a.findings:
        if f.status is Status.FAIL:
            for rid in f.requirements:
                failing.setdefault(rid, set()).add(f.check)
    return {
        v.requirement: next_step(
            v,
            infos.get(v.requirement),
            checks.get(v.requirement, ()),
            failing_checks=sorted(failing.get(v.requirement, ())),
        )
        for v in a.verdicts
    }
