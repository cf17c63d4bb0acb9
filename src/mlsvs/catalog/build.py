"""Turn validated on-disk models into the domain ``Standard`` (with its content digest)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from types import MappingProxyType
from typing import TYPE_CHECKING

from mlsvs.model.catalog import (
    ApplicabilityTag,
    Assignable,
    Change,
    Chapter,
    Comparison,
    Guidance,
    HistoryEntry,
    Level,
    LevelDefinition,
    Parameter,
    Requirement,
    Section,
    Standard,
    Tombstone,
    Verification,
    id_sort_key,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.catalog.reference import References
    from mlsvs.catalog.schema import (
        ChapterModel,
        ParameterModel,
        RequirementModel,
        StandardModel,
        TombstoneModel,
    )


def _parameter(model: ParameterModel, requirement_id: str) -> Parameter:
    a = model.assignable
    return Parameter(
        key=f"{requirement_id}.{model.name}",
        requirement=requirement_id,
        name=model.name,
        meaning=model.meaning,
        unit=model.unit,
        type=model.type,
        comparison=Comparison(model.comparison),
        values=MappingProxyType({Level.parse(k): v for k, v in sorted(model.values.items())}),
        source=model.source,
        assignable=None
        if a is None
        else Assignable(minimum=a.min, maximum=a.max, choices=tuple(a.choices), why=a.why),
    )


def _tombstone(model: TombstoneModel) -> Tombstone:
    return Tombstone(
        id=model.id,
        title=model.title,
        version=model.version,
        change=Change(model.change),
        replaced_by=tuple(model.replaced_by),
        note=model.note,
    )


def _requirement(req: RequirementModel, chapter_id: str, section_id: str) -> Requirement:
    return Requirement(
        id=req.id,
        chapter=chapter_id,
        section=section_id,
        title=req.title,
        text=req.text.strip(),
        level=Level(req.level),
        verification=Verification(req.verification.method),
        evidence=tuple(req.verification.evidence),
        pass_criteria=req.verification.pass_criteria,
        fail_condition=req.verification.fail_condition,
        applicability=frozenset(req.applicability),
        guidance=Guidance(
            why=req.guidance.why, how=req.guidance.how, tools=tuple(req.guidance.tools)
        ),
        cwe=tuple(sorted(set(req.cwe))),
        mappings=MappingProxyType({k: tuple(v) for k, v in sorted(req.mappings.items()) if v}),
        history=tuple(
            HistoryEntry(version=h.version, change=Change(h.change), note=h.note)
            for h in req.history
        ),
        parameters=tuple(_parameter(p, req.id) for p in req.parameters),
        mapping_notes=MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in sorted(req.mapping_notes.items())}
        ),
        level_rationale=req.level_rationale.strip(),
    )


def _chapter(model: ChapterModel) -> Chapter:
    sections = tuple(
        Section(
            id=s.id,
            title=s.title,
            objective=s.objective,
            requirements=tuple(
                _requirement(r, model.id, s.id)
                for r in sorted(s.requirements, key=lambda r: id_sort_key(r.id))
            ),
            withdrawn=tuple(
                _tombstone(t) for t in sorted(s.withdrawn, key=lambda t: id_sort_key(t.id))
            ),
        )
        for s in sorted(model.sections, key=lambda s: id_sort_key(s.id))
    )
    return Chapter(
        id=model.id,
        title=model.title,
        objective=model.objective,
        sections=sections,
        optional=model.optional,
        applicability=frozenset(model.applicability),
    )


def content_digest(standard: Standard) -> str:
    """sha256 of the canonical JSON of everything in ``standard`` except the digest."""
    from mlsvs.catalog.export_json import standard_dict

    body = standard_dict(dataclasses.replace(standard, digest=""))
    body.pop("digest", None)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_standard(
    model: StandardModel, chapters: Sequence[ChapterModel], refs: References
) -> Standard:
    """The domain ``Standard``; chapters in ``standard.yaml`` order, the rest by ID."""
    by_id = {c.id: c for c in chapters}
    built = tuple(_chapter(by_id[cid]) for cid in model.chapters)
    requirements = {r.id: r for c in built for r in c.requirements}
    standard = Standard(
        key=model.key,
        name=model.name,
        version=model.version,
        status=model.status,
        license=model.license,
        released=model.released.isoformat(),
        description=model.description,
        level_semantics=model.level_semantics,
        levels=tuple(
            LevelDefinition(
                level=Level(lv.level),
                name=lv.name,
                description=lv.description,
                audience=lv.audience,
            )
            for lv in sorted(model.levels, key=lambda lv: lv.level)
        ),
        tags=tuple(
            ApplicabilityTag(id=t.id, description=t.description)
            for t in sorted(model.applicability_tags, key=lambda t: t.id)
        ),
        frameworks=tuple(sorted(refs.frameworks, key=lambda f: f.key)),
        chapters=built,
        digest="",
        requirements=MappingProxyType(requirements),
        status_note=model.status_note.strip(),
    )
    return dataclasses.replace(standard, digest=content_digest(standard))
