"""The complete, serialisable result of one verification run."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from mlsvs.model.attestation import Attestation
from mlsvs.model.catalog import Level, Verification
from mlsvs.model.result import Finding
from mlsvs.model.verdict import LevelResult, RequirementVerdict, Verdict

SCHEMA_VERSION = "1.3"
"""1.2 added ``requirements`` (what each requirement says) and ``trend`` (earlier runs); 1.3
added ``skip_cause`` and ``skip_needs`` to check records (why a check did not run, as data) and
``waivers`` (each configured waiver with its expiry and what it covered)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    """The tool that produced the assessment."""

    name: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardRef:
    """The exact catalog content the assessment was made against."""

    key: str
    name: str
    version: str
    digest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectInfo:
    """The system under verification, as declared and as found."""

    name: str
    root: str
    """The root as given on the command line (not resolved, to keep reports portable)."""
    traits: tuple[str, ...]
    denied_traits: tuple[tuple[str, str], ...] = ()
    """(trait, reason) pairs the configuration denies."""
    trait_evidence: tuple[tuple[str, str, str], ...] = ()
    """(trait, path, what was seen) for every trait discovery found evidence of."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactRecord:
    """A discovered artifact, summarised for reports and BOMs."""

    path: str
    kind: str
    format: str = ""
    size: int = 0
    sha256: str = ""


@enum.unique
class CheckState(enum.StrEnum):
    """Whether a check ran."""

    RAN = "ran"
    SKIPPED = "skipped"


@enum.unique
class SkipCause(enum.StrEnum):
    """Why a check did not run, as data for tools (``skip_reason`` is the sentence for people)."""

    NOT_SELECTED = "not-selected"
    """Left out by ``--select``."""
    IGNORED = "ignored"
    """Named by ``--ignore``."""
    CAPABILITY = "capability"
    """It needs a capability (``skip_needs``) this run did not allow."""
    MODULE = "module"
    """It needs optional packages that are not installed (``skip_needs``: what to install)."""
    NO_TARGET = "no-target"
    """Nothing of the kind it examines exists in the project."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRecord:
    """Metadata of a check that ran or was skipped, with the skip reason."""

    id: str
    title: str
    requirements: tuple[str, ...]
    severity: str
    state: CheckState
    remediation: str = ""
    description: str = ""
    skip_reason: str = ""
    skip_cause: SkipCause | None = None
    skip_needs: tuple[str, ...] = ()
    """The capabilities to allow (cause ``capability``) or the install specs, such as
    ``mlsvs[ml]``, of the missing packages (cause ``module``); empty otherwise."""
    source: str = ""
    """Distribution and module that provided the check."""


@enum.unique
class ProblemKind(enum.StrEnum):
    """Something that went wrong outside a check."""

    CONFIG = "config"
    DISCOVERY = "discovery"
    PLUGIN = "plugin"
    ATTESTATION = "attestation"
    WAIVER = "waiver"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A visible problem: unreadable file, plugin failure, limit hit, expired waiver."""

    kind: ProblemKind
    message: str
    path: str = ""


@enum.unique
class SetBy(enum.StrEnum):
    """Who set a parameter's value for a run (never the verified party)."""

    STANDARD = "standard"
    """The standard's value for the target level."""
    PROFILE = "profile"
    """A verification profile of the buyer or assessor, within the standard's bounds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterSetting:
    """The value a parameter of the standard had in a run, and who set it."""

    key: str
    """``<requirement id>.<name>``."""
    requirement: str
    value: bool | int | float | str
    standard_value: bool | int | float | str
    """The standard's own value at the level used, for comparison."""
    unit: str
    level: Level
    """The level whose standard value applies (the target, or the requirement's entry level)."""
    set_by: SetBy


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileRef:
    """The verification profile a run applied."""

    path: str
    sha256: str
    name: str = ""
    issuer: str = ""
    role: str = ""
    """``buyer`` or ``assessor``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementInfo:
    """What a requirement says, copied from the catalog so a report is readable on its own."""

    id: str
    title: str
    text: str
    level: Level
    verification: Verification
    chapter: str
    chapter_title: str
    section: str
    section_title: str
    pass_criteria: str
    fail_condition: str = ""
    evidence: tuple[str, ...] = ()
    """The kinds of evidence the standard accepts."""
    why: str = ""
    """Guidance: why the requirement exists."""
    how: str = ""
    """Guidance: how to meet it."""
    tools: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WaiverRecord:
    """A waiver of the run's configuration: its expiry, and how many failures it covered."""

    id: str
    reason: str
    expires: dt.date
    check: str | None = None
    requirement: str | None = None
    approved_by: str = ""
    expired: bool = False
    """Expired on the run's day: not applied (the run also reports it as a problem)."""
    applied: int = 0
    """Failures of this run the waiver covered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendPoint:
    """The headline numbers of an earlier run, for the trend plot."""

    finished_at: str
    target_level: Level
    achieved_level: Level | None
    levels: tuple[LevelResult, ...]
    """Per level, how many applicable requirements passed (``blocking`` left empty)."""
    counts: tuple[tuple[Verdict, int], ...] = ()
    """How many requirements got each verdict."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """Everything a run found and decided. Renderers read only this."""

    schema_version: str
    tool: ToolInfo
    standard: StandardRef
    project: ProjectInfo
    target_level: Level
    achieved_level: Level | None
    levels: tuple[LevelResult, ...]
    verdicts: tuple[RequirementVerdict, ...]
    findings: tuple[Finding, ...]
    artifacts: tuple[ArtifactRecord, ...]
    checks: tuple[CheckRecord, ...]
    attestations: tuple[Attestation, ...]
    problems: tuple[Problem, ...]
    config_digest: str
    started_at: str
    """UTC ISO-8601 timestamp."""
    finished_at: str
    interrupted: bool = False
    parameters: tuple[ParameterSetting, ...] = ()
    """Every parameter of the standard in force for this run (empty for 1.0.0 catalogs)."""
    profile: ProfileRef | None = None
    requirements: tuple[RequirementInfo, ...] = ()
    """What every decided requirement says (empty in results written before schema 1.2)."""
    trend: tuple[TrendPoint, ...] = ()
    """Earlier runs, oldest first (``--previous``); empty when none was given."""
    waivers: tuple[WaiverRecord, ...] = ()
    """Every configured waiver (empty in results written before schema 1.3)."""

    @property
    def target_met(self) -> bool:
        """Whether the achieved level is at least the target."""
        return self.achieved_level is not None and self.achieved_level >= self.target_level
