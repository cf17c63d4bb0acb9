"""CycloneDX 1.6 standards definition (``definitions.standards[0]``) of the catalog.

Chapters and sections are requirements too (parents of the real ones), as OWASP's ASVS
exporter does. ``levels`` list, cumulatively, the bom-refs of the requirements that apply at
each level. Foreign mappings are properties (``mlsvs:mapping:<framework>``); CWE entries are
external references. Output is deterministic: the serial number derives from the content digest and
the timestamp is the release date.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from mlsvs.catalog.export_json import effective_tags

if TYPE_CHECKING:
    from mlsvs.model.catalog import Requirement, Standard

PROJECT_URL = "https://owasp.org/www-project-mlsecops-verification-standard/"
OWNER = "OWASP Foundation"
_NAMESPACE = uuid.UUID("5b0b54a6-3d33-4c4a-9d1e-6f5b7a0c2e11")


def bom_ref(standard: Standard, item_id: str | None = None) -> str:
    """``mlsvs-1.0.0`` for the standard, ``mlsvs-1.0.0-M4.1.2`` for one of its items."""
    base = f"{standard.key}-{standard.version}"
    return base if item_id is None else f"{base}-{item_id}"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": f"mlsvs:{name}", "value": value}


def _requirement(standard: Standard, req: Requirement, tags: tuple[str, ...]) -> dict[str, Any]:
    props = [
        _prop("level", str(req.level)),
        _prop("verification:method", req.verification.value),
        *(_prop("verification:evidence", e) for e in req.evidence),
        _prop("verification:pass_criteria", req.pass_criteria),
        _prop("verification:fail_condition", req.fail_condition),
        *(_prop("applicability", t) for t in tags),
        _prop("cite", req.cite(standard.version)),
        *(
            _prop(f"mapping:{key}", foreign)
            for key, ids in sorted(req.mappings.items())
            for foreign in ids
        ),
    ]
    refs = [
        {
            "type": "other",
            "url": f"https://cwe.mitre.org/data/definitions/{c}.html",
            "comment": f"CWE-{c}",
        }
        for c in req.cwe
    ]
    entry: dict[str, Any] = {
        "bom-ref": bom_ref(standard, req.id),
        "identifier": req.id,
        "title": req.title,
        "text": req.text,
        "descriptions": [req.guidance.why, req.guidance.how],
        "parent": bom_ref(standard, req.section),
        "properties": props,
    }
    if refs:
        entry["externalReferences"] = refs
    return entry


def standard_definition(standard: Standard) -> dict[str, Any]:
    """The ``definitions.standards[0]`` object."""
    requirements: list[dict[str, Any]] = []
    for chapter in standard.chapters:
        requirements.append(
            {
                "bom-ref": bom_ref(standard, chapter.id),
                "identifier": chapter.id,
                "title": chapter.title,
                "descriptions": [chapter.objective],
            }
        )
        for section in chapter.sections:
            requirements.append(
                {
                    "bom-ref": bom_ref(standard, section.id),
                    "identifier": section.id,
                    "title": section.title,
                    "descriptions": [section.objective],
                    "parent": bom_ref(standard, chapter.id),
                }
            )
            requirements += [
                _requirement(standard, r, effective_tags(r, chapter)) for r in section.requirements
            ]
    levels = [
        {
            "bom-ref": bom_ref(standard, str(d.level)),
            "identifier": str(d.level),
            "title": d.name,
            "description": d.description,
            "requirements": [
                bom_ref(standard, r.id)
                for c in standard.chapters
                for r in c.requirements
                if r.level <= d.level
            ],
        }
        for d in standard.levels
    ]
    return {
        "bom-ref": bom_ref(standard),
        "name": standard.name,
        "version": standard.version,
        "description": standard.description,
        "owner": OWNER,
        "requirements": requirements,
        "levels": levels,
        "externalReferences": [{"type": "website", "url": PROJECT_URL}],
    }


def cyclonedx_document(standard: Standard) -> dict[str, Any]:
    """A complete CycloneDX 1.6 BOM whose only content is the standard definition."""
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(_NAMESPACE, standard.digest)}",
        "version": 1,
        "metadata": {
            "timestamp": f"{standard.released}T00:00:00Z",
            "manufacturer": {"name": OWNER, "url": [PROJECT_URL]},
        },
        "definitions": {"standards": [standard_definition(standard)]},
    }


def export_cyclonedx(standard: Standard) -> str:
    """The CycloneDX 1.6 JSON text."""
    return json.dumps(cyclonedx_document(standard), indent=2, ensure_ascii=False) + "\n"
