"""The contract annex as data: scope, parameter schedule, acceptable evidence and terms.

``build_annex`` is pure: the standard, the buyer's answers and which checks the registry maps
to each requirement in, the annex out. Renderers (Markdown, HTML, JSON, response forms) read
only the ``ContractAnnex``; ``mlsvs evidence verify`` reads its JSON form back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlsvs.catalog.export_json import effective_tags
from mlsvs.catalog.select import walk
from mlsvs.errors import ConfigError, UsageError
from mlsvs.model.catalog import Level, Standard
from mlsvs.procurement.evidence_rules import AcceptableEvidence, acceptable_evidence
from mlsvs.procurement.questionnaire import Answer, ProcurementScope, ScopeAnswer

ANNEX_SCHEMA_VERSION = "1.0"
ANNEX_KIND = "mlsvs-procurement-annex"

DEFAULT_TRIGGERS = (
    "a new model version or any change to a delivered model file (a new digest)",
    "a change to training, fine-tuning or evaluation data",
    "a change to a dependency, base image or serving component listed in the ML-BOM",
    "a new version of the standard that the buyer adopts",
    "a security incident affecting the delivered system",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """Days the supplier has to remediate a rejected requirement of one severity."""

    severity: str
    days: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Terms:
    """The contract terms of the annex (defaults overridable in the answers file)."""

    validity_days: int = 365
    """Accepted evidence is valid this long from the test date; then re-verification is due."""
    acceptance_days: int = 30
    """The buyer decides acceptance within this many days of receiving a package."""
    remediation: tuple[Deadline, ...] = (
        Deadline(severity="critical", days=7),
        Deadline(severity="high", days=30),
        Deadline(severity="medium", days=90),
        Deadline(severity="low", days=180),
    )
    unrated_severity: str = "high"
    """Severity used for a rejection no finding rates (missing evidence, expired attestation)."""
    audit_notice_days: int = 10
    change_notice_days: int = 30
    reverification_triggers: tuple[str, ...] = DEFAULT_TRIGGERS

    def deadline(self, severity: str) -> int:
        """Remediation days for ``severity`` (the unrated severity's when not listed)."""
        days = {d.severity: d.days for d in self.remediation}
        return days.get(severity, days.get(self.unrated_severity, 30))


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardPin:
    """The exact catalog the annex is written against."""

    key: str
    name: str
    version: str
    digest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledParameter:
    """One entry of the parameter schedule: the value verification must use."""

    key: str
    requirement: str
    name: str
    meaning: str
    unit: str
    comparison: str
    value: bool | int | float | str
    standard_value: bool | int | float | str
    set_by: str
    """``standard`` or ``buyer``."""
    bounds: str = ""
    """What the buyer may assign (empty: fixed by the standard)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnexRequirement:
    """One in-scope requirement with the evidence the buyer accepts."""

    id: str
    citation: str
    chapter: str
    chapter_title: str
    title: str
    text: str
    level: Level
    verification: str
    pass_criteria: str
    fail_condition: str
    tags: tuple[str, ...]
    scope_reason: str
    evidence: AcceptableEvidence
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutOfScope:
    """A requirement the buyer's answers exclude, and which answer excluded it."""

    id: str
    title: str
    level: Level
    tags: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Parties:
    """Who the annex binds (free text from the answers file)."""

    buyer: str = ""
    supplier: str = ""
    contract: str = ""
    system: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAnnex:
    """The whole annex; ``annex_to_json`` / ``load_annex`` write and read it."""

    schema_version: str
    kind: str
    standard: StandardPin
    level: Level
    issued: dt.date
    parties: Parties
    scope: tuple[ScopeAnswer, ...]
    chapters: tuple[str, ...]
    requirements: tuple[AnnexRequirement, ...]
    out_of_scope: tuple[OutOfScope, ...]
    parameters: tuple[ScheduledParameter, ...]
    terms: Terms
    independent_verifiers: tuple[str, ...] = ()
    """Named independent verifiers the buyer accepts at L3 (empty: any in that role)."""
    tool: str = ""

    def requirement(self, requirement_id: str) -> AnnexRequirement | None:
        """An in-scope requirement by ID."""
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def parameter(self, key: str) -> ScheduledParameter | None:
        """A scheduled parameter by key."""
        return next((p for p in self.parameters if p.key == key), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyerInput:
    """Everything the buyer decides besides the scope answers."""

    parties: Parties = field(default_factory=Parties)
    parameters: Mapping[str, object] = field(default_factory=dict)
    terms: Terms = field(default_factory=Terms)
    independent_verifiers: tuple[str, ...] = ()
    source: str = "answers"


def _scope_reason(tags: tuple[str, ...], scope: ProcurementScope) -> str:
    if not tags:
        return "core requirement: always applies"
    parts = []
    for tag in tags:
        answer = scope.answer_for(tag)
        if answer is None or answer.answer is Answer.UNANSWERED:
            parts.append(f"`{tag}` not answered, kept in scope (fail closed)")
        else:
            parts.append(f"`{tag}`: answered yes ({answer.question})")
    return "; ".join(parts)


def _schedule(
    standard: Standard, level: Level, buyer: BuyerInput, keep: set[str]
) -> tuple[ScheduledParameter, ...]:
    from mlsvs.engine.profile import Profile, ProfileError, resolve

    profile = Profile(
        path=buyer.source,
        sha256=hashlib.sha256(
            json.dumps(dict(buyer.parameters), sort_keys=True, default=str).encode()
        ).hexdigest(),
        name=buyer.parties.contract,
        issuer=buyer.parties.buyer,
        role="buyer",
        assignments=dict(buyer.parameters),
    )
    try:
        settings = resolve(standard, level, profile)
    except ProfileError as exc:
        raise ConfigError(
            f"parameter schedule rejected: {'; '.join(p.split(': ', 1)[-1] for p in exc.problems)}",
            path=buyer.source,
        ) from None
    params = standard.parameters
    out = []
    for s in settings:
        if s.requirement not in keep:
            if s.key in buyer.parameters:
                raise ConfigError(
                    f"parameter {s.key} belongs to {s.requirement}, which is out of scope",
                    path=buyer.source,
                )
            continue
        p = params[s.key]
        out.append(
            ScheduledParameter(
                key=s.key,
                requirement=s.requirement,
                name=p.name,
                meaning=p.meaning,
                unit=p.unit,
                comparison=p.comparison.value,
                value=s.value,
                standard_value=s.standard_value,
                set_by="buyer" if s.set_by.value == "profile" else "standard",
                bounds=p.assignable.describe() if p.assignable else "",
            )
        )
    return tuple(out)


def build_annex(
    standard: Standard,
    level: Level,
    scope: ProcurementScope,
    checks_by_requirement: Mapping[str, tuple[str, ...]],
    *,
    buyer: BuyerInput | None = None,
    chapters: frozenset[str] = frozenset(),
    issued: dt.date,
    tool: str = "",
) -> ContractAnnex:
    """Decide the annex: every requirement up to ``level`` unless an answer excludes it."""
    buyer = buyer or BuyerInput()
    known = {c.id for c in standard.chapters}
    unknown = sorted(chapters - known)
    if unknown:
        raise UsageError(f"unknown chapter {unknown[0]!r} (known: {', '.join(sorted(known))})")
    included: list[AnnexRequirement] = []
    excluded: list[OutOfScope] = []
    for chapter, req in walk(standard):
        if req.level > level or (chapters and chapter.id not in chapters):
            continue
        tags = effective_tags(req, chapter)
        denied = [t for t in tags if t in scope.excluded_tags]
        if denied:
            reasons = []
            for tag in denied:
                answer = scope.answer_for(tag)
                reasons.append(f"answered no to {answer.question if answer else tag} (`{tag}`)")
            excluded.append(
                OutOfScope(
                    id=req.id,
                    title=req.title,
                    level=req.level,
                    tags=tags,
                    reason="; ".join(reasons),
                )
            )
            continue
        included.append(
            AnnexRequirement(
                id=req.id,
                citation=req.cite(standard.version),
                chapter=chapter.id,
                chapter_title=chapter.title,
                title=req.title,
                text=req.text,
                level=req.level,
                verification=req.verification.value,
                pass_criteria=req.pass_criteria,
                fail_condition=req.fail_condition,
                tags=tags,
                scope_reason=_scope_reason(tags, scope),
                evidence=acceptable_evidence(
                    req, level, tuple(sorted(checks_by_requirement.get(req.id, ())))
                ),
                parameters=tuple(p.key for p in req.parameters),
            )
        )
    schedule = _schedule(standard, level, buyer, {r.id for r in included})
    return ContractAnnex(
        schema_version=ANNEX_SCHEMA_VERSION,
        kind=ANNEX_KIND,
        standard=StandardPin(
            key=standard.key, name=standard.name, version=standard.version, digest=standard.digest
        ),
        level=level,
        issued=issued,
        parties=buyer.parties,
        scope=scope.answers,
        chapters=tuple(sorted(chapters)),
        requirements=tuple(included),
        out_of_scope=tuple(excluded),
        parameters=schedule,
        terms=buyer.terms,
        independent_verifiers=buyer.independent_verifiers,
        tool=tool,
    )
