"""Nested and flat JSON exports of the standard (pure functions)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsvs.model.catalog import Chapter, Requirement, Section, Standard


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
    }


def _section_dict(section: Section, version: str) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "objective": section.objective,
        "requirements": [requirement_dict(r, version) for r in section.requirements],
    }


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
