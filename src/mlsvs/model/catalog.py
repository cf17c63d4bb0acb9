"""The standard as typed values: levels, requirements, sections, chapters."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Re-exported; defined apart so that loading a configuration does not build this whole module.
from mlsvs.model.level import Level as Level  # noqa: PLC0414

REQUIREMENT_ID = re.compile(r"^M(?P<ch>[1-9]\d*)\.(?P<sec>[1-9]\d*)\.(?P<req>[1-9]\d*)$")
SECTION_ID = re.compile(r"^M(?P<ch>[1-9]\d*)\.(?P<sec>[1-9]\d*)$")
CHAPTER_ID = re.compile(r"^M(?P<ch>[1-9]\d*)$")
CITATION = re.compile(r"^v(?P<version>\d+\.\d+\.\d+)-(?P<id>M[1-9]\d*\.[1-9]\d*\.[1-9]\d*)$")


@enum.unique
class Verification(enum.StrEnum):
    """How a requirement is verified."""

    STATIC = "a-static"
    """An automated check of an artifact (file, config, BOM, log sample)."""
    RUNTIME = "a-runtime"
    """An automated behavioural test against the model or an endpoint."""
    HYBRID = "hybrid"
    """Automated evidence *and* a signed-off attestation are both needed."""
    ATTEST = "attest"
    """A signed-off attestation backed by documents."""


@enum.unique
class Change(enum.StrEnum):
    """What happened to a requirement in a release (ASVS mapping vocabulary)."""

    ADDED = "added"
    REWORDED = "reworded"
    MOVED = "moved"
    SPLIT = "split"
    MERGED = "merged"
    LEVEL_CHANGED = "level_changed"
    DELETED = "deleted"
    REMAPPED = "remapped"
    """Framework mappings corrected (the obligation is unchanged)."""
    PARAMETERISED = "parameterised"
    """A bar the verified party used to declare is now a parameter of the standard."""
    WITHDRAWN = "withdrawn"
    """The ID is retired: kept as a tombstone and never reused."""


ParameterValue = float | int | bool | str


@enum.unique
class Comparison(enum.StrEnum):
    """How a measurement is judged against a parameter value."""

    FLOOR = "floor"
    """The measured value must be at least the parameter (higher is stricter)."""
    CEILING = "ceiling"
    """The measured value must be at most the parameter (lower is stricter)."""
    BUDGET = "budget"
    """An attacker or test budget: a larger value is a stronger (stricter) test."""
    SETTING = "setting"
    """A test setting with no strictness order (e.g. the norm of a perturbation)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignable:
    """Bounds within which a buyer or assessor may assign a parameter in a verification profile.

    The verified party never assigns parameters: its own configuration cannot set them.
    """

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    why: str = ""
    """Why the right value depends on the deployment."""

    def admits(self, value: ParameterValue) -> bool:
        """Whether ``value`` lies within the bounds (choices for strings)."""
        if isinstance(value, str):
            return not self.choices or value in self.choices
        if isinstance(value, bool):
            return True
        low = self.minimum if self.minimum is not None else float("-inf")
        high = self.maximum if self.maximum is not None else float("inf")
        return low <= value <= high

    def describe(self) -> str:
        """``0.1..0.9`` or ``one of linf, l2``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        low = "" if self.minimum is None else f"{self.minimum:g}"
        high = "" if self.maximum is None else f"{self.maximum:g}"
        return f"{low}..{high}"


def value_has_type(value: object, kind: str) -> bool:
    """Whether ``value`` is of a parameter ``type`` (boolean, integer, number, string);
    ``True``/``False`` are never numbers."""
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | float)
    return isinstance(value, str)


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """A number (or setting) an outcome depends on, fixed by the standard per level."""

    key: str
    """``<requirement id>.<name>``, e.g. ``M6.2.1.epsilon_linf``."""
    requirement: str
    name: str
    meaning: str
    unit: str
    type: str
    """``number``, ``integer``, ``boolean`` or ``string``."""
    comparison: Comparison
    values: Mapping[Level, ParameterValue]
    """The standard's value at each level where the requirement applies."""
    source: str
    """Where the value comes from (benchmark, guideline, practice) and why."""
    assignable: Assignable | None = None

    def value_at(self, level: Level) -> ParameterValue:
        """The standard's value at ``level`` (the requirement's entry level when lower)."""
        applicable = [lv for lv in self.values if lv <= level]
        chosen = max(applicable) if applicable else min(self.values)
        return self.values[chosen]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tombstone:
    """A withdrawn requirement ID: kept so it is never reused."""

    id: str
    title: str
    version: str
    """The version that withdrew it."""
    change: Change
    """``merged``, ``split``, ``moved`` or ``withdrawn``."""
    replaced_by: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One change to a requirement, in one version of the standard."""

    version: str
    change: Change
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Guidance:
    """Non-normative help: why the requirement exists, how to meet it, tools that help."""

    why: str
    how: str
    tools: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """One verifiable requirement of the standard."""

    id: str
    chapter: str
    section: str
    title: str
    text: str
    level: Level
    verification: Verification
    evidence: tuple[str, ...]
    pass_criteria: str
    fail_condition: str
    applicability: frozenset[str]
    """Applicability tags; empty means the requirement always applies."""
    guidance: Guidance
    cwe: tuple[int, ...] = ()
    mappings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Edition-qualified framework key (e.g. ``owasp_ml_top10_2023``) to foreign IDs."""
    history: tuple[HistoryEntry, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    mapping_notes: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Framework key -> foreign ID -> one-line rationale of the mapping."""
    level_rationale: str = ""
    """Why the entry level differs from a comparable control elsewhere (e.g. AISVS)."""

    def cite(self, version: str) -> str:
        """The version-qualified citation, e.g. ``v1.0.0-M4.1.2``."""
        return f"v{version}-{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A group of requirements with one objective."""

    id: str
    title: str
    objective: str
    requirements: tuple[Requirement, ...]
    withdrawn: tuple[Tombstone, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Chapter:
    """A chapter of the standard."""

    id: str
    title: str
    objective: str
    sections: tuple[Section, ...]
    optional: bool = False
    """Optional chapters (the LLM add-on) apply only when their tags are declared."""
    applicability: frozenset[str] = frozenset()

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """Every requirement of the chapter, in document order."""
        return tuple(r for s in self.sections for r in s.requirements)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelDefinition:
    """What a level means and whom it is for."""

    level: Level
    name: str
    description: str
    audience: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicabilityTag:
    """A trait of an ML system that makes some requirements apply."""

    id: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Framework:
    """An external framework that requirements map to (always edition-qualified)."""

    key: str
    name: str
    edition: str
    id_pattern: str
    url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Standard:
    """A complete, validated version of the standard."""

    key: str
    name: str
    version: str
    status: str
    license: str
    released: str
    description: str
    level_semantics: str
    levels: tuple[LevelDefinition, ...]
    tags: tuple[ApplicabilityTag, ...]
    frameworks: tuple[Framework, ...]
    chapters: tuple[Chapter, ...]
    digest: str
    """sha256 of the canonical content, recorded in every assessment."""
    requirements: Mapping[str, Requirement] = field(default_factory=lambda: MappingProxyType({}))
    status_note: str = ""
    """Who publishes this text and what its status means (not an OWASP publication)."""

    @property
    def withdrawn(self) -> tuple[Tombstone, ...]:
        """Every tombstone of the version, in ID order."""
        found = [t for c in self.chapters for s in c.sections for t in s.withdrawn]
        return tuple(sorted(found, key=lambda t: id_sort_key(t.id)))

    @property
    def parameters(self) -> Mapping[str, Parameter]:
        """Every parameter of the standard by key, in requirement order."""
        return MappingProxyType(
            {p.key: p for r in self.requirements.values() for p in r.parameters}
        )

    def requirement(self, requirement_id: str) -> Requirement:
        """Look a requirement up by ID (``M4.1.2`` or ``v1.0.0-M4.1.2``); ``KeyError`` if absent."""
        cited = CITATION.match(requirement_id)
        if cited is not None:
            if cited["version"] != self.version:
                raise KeyError(
                    f"{requirement_id} cites version {cited['version']}, not {self.version}"
                )
            requirement_id = cited["id"]
        return self.requirements[requirement_id]

    def chapter(self, chapter_id: str) -> Chapter:
        """Look a chapter up by ID; ``KeyError`` if absent."""
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise KeyError(chapter_id)


def id_sort_key(requirement_id: str) -> tuple[int, ...]:
    """Sort ``M10.2.1`` after ``M9.1.1`` (numeric, not lexical)."""
    parts = requirement_id.lstrip("vM").split("-")[-1].lstrip("M").split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts)
