"""Nested and flat JSON exports of the standard (pure functions)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsvs.model.catalog import Chapter, Parameter, Requirement, Section, Standard, Tombstone


def parameter_dict(parameter: Parameter) -> dict[str, Any]:
    """One parameter, JSON-ready (values keyed ``L1``..``L3``)."""
    out: dict[str, Any] = {
        "key": parameter.key,
        "requirement": parameter.requirement,
        "name": parameter.name,
        "meaning": parameter.meaning,
        "unit": parameter.unit,
        "type": parameter.type,
        "comparison": parameter.comparison.value,
        "values": {str(lv): v for lv, v in sorted(parameter.values.items())},
        "source": parameter.source,
    }
    a = parameter.assignable
    if a is not None:
        out["assignable"] = {
            "min": a.minimum,
            "max": a.maximum,
            "choices": list(a.choices),
            "why": a.why,
        }
    return out


def tombstone_dict(tombstone: Tombstone) -> dict[str, Any]:
    """One withdrawn ID."""
    return {
        "id": tombstone.id,
        "title": tombstone.title,
        "version": tombstone.version,
        "change": tombstone.change.value,
        "replaced_by": list(tombstone.replaced_by),
        "note": tombstone.note,
    }


def effective_tags(requirement: Requirement, chapter: Chapter) -> tuple[str, ...]:
    """The requirement's own tags plus its chapter's, sorted."""
    return tuple(sorted(requirement.applicability | chapter.applicability))


def requirement_dict(requirement: Requirement, version: str) -> dict[str, Any]:
    """Every field of one requirement, JSON-ready, lists sorted where order is not meaningful."""
    return {
        "id": requirement.id,
        "cite": requirement.cite(version),
        "title": requirement.title,
        "text": requirement.text,
        "level": int(requirement.level),
        "applicability": sorted(requirement.applicability),
        "verification": {
            "method": requirement.verification.value,
            "evidence": list(requirement.evidence),
            "pass_criteria": requirement.pass_criteria,
            "fail_condition": requirement.fail_condition,
        },
        "guidance": {
            "why": requirement.guidance.why,
            "how": requirement.guidance.how,
            "tools": list(requirement.guidance.tools),
        },
        "cwe": list(requirement.cwe),
        "mappings": {k: list(v) for k, v in sorted(requirement.mappings.items())},
        "history": [
            {"version": h.version, "change": h.change.value, "note": h.note}
            for h in requirement.history
        ],
        # Fields added in 1.1.0 appear only when set, so that 1.0.0's content digest is stable.
        **_optional(requirement),
    }


def _optional(requirement: Requirement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if requirement.parameters:
        out["parameters"] = [parameter_dict(p) for p in requirement.parameters]
    if requirement.mapping_notes:
        out["mapping_notes"] = {
            k: dict(sorted(v.items())) for k, v in sorted(requirement.mapping_notes.items())
        }
    if requirement.level_rationale:
        out["level_rationale"] = requirement.level_rationale
    return out


def _section_dict(section: Section, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": section.id,
        "title": section.title,
        "objective": section.objective,
        "requirements": [requirement_dict(r, version) for r in section.requirements],
    }
    if section.withdrawn:
        out["withdrawn"] = [tombstone_dict(t) for t in section.withdrawn]
    return out


def standard_dict(standard: Standard) -> dict[str, Any]:
    """The whole standard as nested JSON: chapters -> sections -> requirements."""
    return {
        "key": standard.key,
        "name": standard.name,
        "version": standard.version,
        "status": standard.status,
        "license": standard.license,
        "released": standard.released,
        "description": standard.description,
        "digest": standard.digest,
        **({"status_note": standard.status_note} if standard.status_note else {}),
        "level_semantics": standard.level_semantics,
        "levels": [
            {
                "level": int(d.level),
                "name": d.name,
                "audience": d.audience,
                "description": d.description,
            }
            for d in standard.levels
        ],
        "applicability_tags": [{"id": t.id, "description": t.description} for t in standard.tags],
        "frameworks": [
            {"key": f.key, "name": f.name, "edition": f.edition, "url": f.url}
            for f in standard.frameworks
        ],
        "chapters": [
            {
                "id": c.id,
                "title": c.title,
                "objective": c.objective,
                "optional": c.optional,
                "applicability": sorted(c.applicability),
                "sections": [_section_dict(s, standard.version) for s in c.sections],
            }
            for c in standard.chapters
        ],
    }


def flat_records(standard: Standard) -> list[dict[str, Any]]:
    """One object per requirement with its chapter and section context."""
    records = []
    for chapter in standard.chapters:
        for section in chapter.sections:
            for req in section.requirements:
                record = {
                    "chapter_id": chapter.id,
                    "chapter_title": chapter.title,
                    "section_id": section.id,
                    "section_title": section.title,
                    **requirement_dict(req, standard.version),
                }
                record["applicability"] = list(effective_tags(req, chapter))
                records.append(record)
    return records


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def export_json(standard: Standard) -> str:
    """Nested JSON document of the standard."""
    return _dump(standard_dict(standard))


def export_json_flat(standard: Standard) -> str:
    """Flat JSON: ``{"standard": {...}, "requirements": [one object per requirement]}``."""
    head = {
        "key": standard.key,
        "name": standard.name,
        "version": standard.version,
        "digest": standard.digest,
    }
    return _dump({"standard": head, "requirements": flat_records(standard)})
