"""Pydantic models of the on-disk catalog format (stage 1 of validation).

Every model forbids unknown keys and checks ID shapes with regexes. Their JSON Schema is
committed under ``schemas/`` for editor validation (``yaml-language-server`` header). Nesting,
uniqueness, tags and cross-references are checked afterwards in ``mlsvs.catalog.semantics``.
Imported only by code paths that validate catalog files (pydantic is not a start-up cost).
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - pydantic resolves the annotation at runtime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
SNAKE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Snake = Annotated[str, StringConstraints(pattern=SNAKE)]
Semver = Annotated[str, StringConstraints(pattern=SEMVER)]
ChapterId = Annotated[str, StringConstraints(pattern=r"^M[1-9]\d*$")]
SectionId = Annotated[str, StringConstraints(pattern=r"^M[1-9]\d*\.[1-9]\d*$")]
RequirementId = Annotated[str, StringConstraints(pattern=r"^M[1-9]\d*\.[1-9]\d*\.[1-9]\d*$")]
ForeignId = Annotated[str, StringConstraints(min_length=1)]


def _number_as_text(value: object) -> object:
    # YAML reads `edition: 2023` or `version: 5.6` as numbers; they are labels, not numbers.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Label = Annotated[str, BeforeValidator(_number_as_text), StringConstraints(min_length=1)]
Method = Literal["a-static", "a-runtime", "hybrid", "attest"]
ChangeKind = Literal[
    "added",
    "reworded",
    "moved",
    "split",
    "merged",
    "level_changed",
    "deleted",
    "remapped",
    "parameterised",
]
TombstoneKind = Literal["merged", "split", "moved", "withdrawn"]
LevelKey = Literal["L1", "L2", "L3"]
ParameterType = Literal["number", "integer", "boolean", "string"]
ComparisonKind = Literal["floor", "ceiling", "budget", "setting"]
Scalar = float | int | bool | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VerificationModel(_Strict):
    """How a requirement is verified and what evidence proves it."""

    method: Method
    evidence: Annotated[list[Snake], Field(min_length=1)]
    pass_criteria: Text
    fail_condition: Text


class GuidanceModel(_Strict):
    """Non-normative help: why, how, and tools."""

    why: Text
    how: Text
    tools: list[Text] = []


class HistoryModel(_Strict):
    """One change to a requirement in a release."""

    version: Semver
    change: ChangeKind
    note: str = ""


class AssignableModel(_Strict):
    """Bounds within which a buyer or assessor may assign the parameter (never the supplier)."""

    min: float | None = Field(default=None, strict=False)
    max: float | None = Field(default=None, strict=False)
    choices: list[Text] = []
    why: Text


class ParameterModel(_Strict):
    """A number the requirement's outcome depends on, with the standard's value per level."""

    name: Snake
    meaning: Text
    unit: Text
    type: ParameterType
    comparison: ComparisonKind
    values: Annotated[dict[LevelKey, Scalar], Field(min_length=1)]
    source: Text
    assignable: AssignableModel | None = None


class TombstoneModel(_Strict):
    """A withdrawn requirement ID, kept in its section so that it is never reused."""

    id: RequirementId
    title: Title
    version: Semver
    change: TombstoneKind
    replaced_by: list[RequirementId] = []
    note: Text


class RequirementModel(_Strict):
    """One requirement record."""

    id: RequirementId
    title: Title
    text: Annotated[str, StringConstraints(pattern=r"^Verify that\b")]
    level: Literal[1, 2, 3]
    applicability: list[Snake] = []
    verification: VerificationModel
    guidance: GuidanceModel
    cwe: list[Annotated[int, Field(ge=1)]] = []
    mappings: dict[str, list[ForeignId]] = {}
    mapping_notes: dict[str, dict[ForeignId, Text]] = {}
    level_rationale: str = ""
    parameters: list[ParameterModel] = []
    history: Annotated[list[HistoryModel], Field(min_length=1)]


class SectionModel(_Strict):
    """A section and its requirements."""

    id: SectionId
    title: Title
    objective: Text
    requirements: Annotated[list[RequirementModel], Field(min_length=1)]
    withdrawn: list[TombstoneModel] = []


class ChapterModel(_Strict):
    """One chapter file (``chapters/M<n>-<slug>.yaml``)."""

    model_config = ConfigDict(title="MLSVS catalog chapter")

    id: ChapterId
    title: Title
    objective: Text
    optional: bool = False
    applicability: list[Snake] = []
    sections: Annotated[list[SectionModel], Field(min_length=1)]


class LevelModel(_Strict):
    """What one level means."""

    level: Literal[1, 2, 3]
    name: Text
    audience: Text
    description: Text


class TagModel(_Strict):
    """A declared applicability tag."""

    id: Snake
    description: Text


class StandardModel(_Strict):
    """``standard.yaml``: metadata, levels, tags and chapter order of one version."""

    model_config = ConfigDict(title="MLSVS catalog standard")

    key: Snake
    name: Text
    version: Semver
    status: Literal["draft", "final", "released"]
    status_note: str = ""
    strict: bool = False
    """Editorial rules of 1.1.0 on: mapping rationale, ATLAS kinds, no self-declared bars."""
    license: Text
    released: dt.date = Field(strict=False)
    description: Text
    level_semantics: Text
    levels: Annotated[list[LevelModel], Field(min_length=1)]
    applicability_tags: list[TagModel] = []
    chapters: Annotated[list[ChapterId], Field(min_length=1)]


class FrameworkModel(_Strict):
    """An external framework requirements map to (``frameworks.yaml``)."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$")]
    name: Text
    edition: Label
    id_pattern: Text
    url: str = ""


class FrameworksFile(_Strict):
    """``frameworks.yaml``."""

    frameworks: list[FrameworkModel]


class AtlasEntry(_Strict):
    """A tactic, technique or mitigation of MITRE ATLAS."""

    id: Annotated[str, StringConstraints(pattern=r"^AML\.[A-Z]+\d{4}(\.\d{3})?$")]
    name: Text


class AtlasFile(_Strict):
    """``atlas/atlas-<version>.yaml``: the IDs of one ATLAS release."""

    version: Label
    source: str = ""
    tactics: list[AtlasEntry] = []
    techniques: list[AtlasEntry] = []
    mitigations: list[AtlasEntry] = []


class Top10Item(_Strict):
    """One item of the OWASP ML Top 10."""

    id: Annotated[str, StringConstraints(pattern=r"^ML\d{2}$")]
    name: Text


class Top10File(_Strict):
    """``owasp-ml-top10-2023.yaml``."""

    model_config = ConfigDict(extra="allow")

    items: Annotated[list[Top10Item], Field(min_length=1)]


class ProfileMetaModel(_Strict):
    """``[profile]`` of a verification profile: who assigns the parameters, for what."""

    name: str = ""
    issuer: str = ""
    role: Literal["buyer", "assessor"]
    standard: str | None = None
    """Standard version the profile is for (the run must use it)."""
    level: Literal["L1", "L2", "L3"] | None = None
    """Target level; beats the verified project's configuration (not ``--level``)."""
    note: str = ""


class ProfileFileModel(_Strict):
    """A verification profile (``mlsvs verify --profile FILE``, TOML or YAML).

    Only the shape is described here: which keys are parameters of the standard, their types
    and the bounds within which they may be assigned come from the catalog and are enforced when
    the profile is applied (``mlsvs catalog parameters`` lists them).
    """

    model_config = ConfigDict(title="MLSVS verification profile")

    profile: ProfileMetaModel
    parameters: dict[
        Annotated[
            str, StringConstraints(pattern=r"^M[1-9]\d*\.[1-9]\d*\.[1-9]\d*\.[a-z][a-z0-9_]*$")
        ],
        Scalar,
    ] = {}
