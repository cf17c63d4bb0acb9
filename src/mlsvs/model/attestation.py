"""Human claims about requirements, with their evidence, and waivers of failures."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


@enum.unique
class Claim(enum.StrEnum):
    """What a person attests about one requirement."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@enum.unique
class Validity(enum.StrEnum):
    """Recomputed on every run; only VALID attestations count."""

    VALID = "valid"
    EXPIRED = "expired"
    EVIDENCE_CHANGED = "evidence_changed"
    EVIDENCE_MISSING = "evidence_missing"
    UNKNOWN_REQUIREMENT = "unknown_requirement"
    INVALID = "invalid"
    """The file is malformed; ``problems`` says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Who signed an attestation off."""

    name: str
    role: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRef:
    """One piece of evidence: a project file with its expected digest, or a URL."""

    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    actual_sha256: str | None = None
    """Digest found on this run (None when missing or a URL)."""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attestation:
    """A signed-off claim about one requirement."""

    source: str
    """The attestation file, relative to the project root."""
    requirement: str
    claim: Claim
    statement: str
    justification: str = ""
    evidence: tuple[EvidenceRef, ...] = ()
    attested_by: Person | None = None
    date: dt.date | None = None
    expires: dt.date | None = None
    validity: Validity = Validity.INVALID
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """An accepted failure: mandatory reason and expiry."""

    id: str
    reason: str
    expires: dt.date
    check: str | None = None
    requirement: str | None = None
    paths: tuple[str, ...] = ()
    """Glob patterns of target paths; empty means every target."""
    approved_by: str = ""
