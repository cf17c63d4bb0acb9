"""What evidence the buyer accepts for one requirement, derived from facts about it.

An automated result is acceptable only from a check the registry really has for the
requirement (named in the annex); with no such check the requirement needs a signed
attestation backed by the standard's named evidence. At L3 every requirement that rests on an
attestation needs it from an independent verifier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import assert_never

from mlsvs.model.catalog import Level, Requirement, Verification


@enum.unique
class EvidenceKind(enum.StrEnum):
    """One kind of evidence an annex requires (all listed kinds are needed)."""

    AUTOMATED = "automated_result"
    """A passing result of one of the named checks, in the signed results."""
    ATTESTATION = "signed_attestation"
    """A valid attestation with content-addressed evidence files, in the signed package."""
    INDEPENDENT = "independent_verification"
    """The attestation is made by an independent verifier (role ``independent verifier``)."""


INDEPENDENT_ROLE = "independent verifier"


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptableEvidence:
    """The evidence a supplier must deliver for one requirement."""

    kinds: tuple[EvidenceKind, ...]
    checks: tuple[str, ...] = ()
    """Check IDs whose automated result is accepted (empty: no automated result is)."""
    documents: tuple[str, ...] = ()
    """The standard's named evidence the attestation must be backed by."""
    note: str = ""
    """Why this evidence (e.g. no automated check exists for an automated requirement)."""

    def describe(self) -> str:
        """One sentence for the annex."""
        parts = []
        if EvidenceKind.AUTOMATED in self.kinds:
            parts.append(
                "a passing automated result of "
                + ", ".join(f"`{c}`" for c in self.checks)
                + " in the signed `mlsvs verify` results"
            )
        if EvidenceKind.ATTESTATION in self.kinds:
            docs = "; ".join(self.documents) or "the documents the attestation names"
            who = (
                f"an independent verifier (role `{INDEPENDENT_ROLE}`)"
                if EvidenceKind.INDEPENDENT in self.kinds
                else "the supplier"
            )
            parts.append(
                f"a signed attestation by {who} with content-addressed evidence files: {docs}"
            )
        if self.kinds == (EvidenceKind.AUTOMATED,):
            parts[0] += (
                "; only where these checks have nothing to examine in the delivered system, a "
                "signed attestation (at L3 by an independent verifier) with content-addressed "
                "evidence files instead"
            )
        joined = " and ".join(parts)
        text = joined[:1].upper() + joined[1:] + "."
        return f"{text} {self.note}".strip()


def acceptable_evidence(
    requirement: Requirement, level: Level, checks: tuple[str, ...]
) -> AcceptableEvidence:
    """The evidence accepted for ``requirement`` at ``level`` given the checks mapped to it."""
    docs = requirement.evidence
    independent = (EvidenceKind.INDEPENDENT,) if level >= Level.L3 else ()
    match requirement.verification:
        case Verification.STATIC | Verification.RUNTIME:
            if checks:
                return AcceptableEvidence(kinds=(EvidenceKind.AUTOMATED,), checks=checks)
            return AcceptableEvidence(
                kinds=(EvidenceKind.ATTESTATION, *independent),
                documents=docs,
                note="No automated check of this tool covers the requirement, so a tool "
                "report alone is not accepted.",
            )
        case Verification.HYBRID:
            if checks:
                return AcceptableEvidence(
                    kinds=(EvidenceKind.AUTOMATED, EvidenceKind.ATTESTATION, *independent),
                    checks=checks,
                    documents=docs,
                )
            return AcceptableEvidence(
                kinds=(EvidenceKind.ATTESTATION, *independent),
                documents=docs,
                note="No automated check of this tool covers the automated part.",
            )
        case Verification.ATTEST:
            return AcceptableEvidence(
                kinds=(EvidenceKind.ATTESTATION, *independent), documents=docs
            )
        case _:
            assert_never(requirement.verification)
