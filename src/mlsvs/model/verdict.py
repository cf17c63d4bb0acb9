"""Conclusions: one verdict per requirement and the level reached."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlsvs.model.catalog import Level
from mlsvs.model.coverage import Gap


@enum.unique
class Verdict(enum.StrEnum):
    """The conclusion for one requirement."""

    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    NOT_VERIFIED = "not_verified"

    @property
    def satisfies(self) -> bool:
        """PASS and NOT_APPLICABLE satisfy a level; everything else blocks it."""
        return self in {Verdict.PASS, Verdict.NOT_APPLICABLE}


@enum.unique
class Basis(enum.StrEnum):
    """What the verdict rests on."""

    AUTOMATED = "automated"
    ATTESTED = "attested"
    BOTH = "both"
    PROFILE = "profile"
    """Decided from the declared applicability profile."""
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementVerdict:
    """The verdict on one requirement and why."""

    requirement: str
    level: Level
    verdict: Verdict
    basis: Basis
    reasons: tuple[str, ...]
    findings: tuple[str, ...] = ()
    """IDs of the findings that informed the verdict."""
    attestation: str | None = None
    """Source file of the attestation used, if any."""
    gaps: tuple[Gap, ...] = ()
    """What the checks behind the verdict could not cover (why it is not verified)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelResult:
    """Whether a level is met and which requirements block it."""

    level: Level
    met: bool
    blocking: tuple[str, ...] = ()
    applicable: int = 0
    """Requirements in scope at this level that apply (not applicable ones excluded)."""
    satisfied: int = 0
    """Applicable requirements that passed (waived ones only under waivers_satisfy)."""
    not_applicable: int = 0
    """Requirements in scope that do not apply; never counted as satisfied."""
