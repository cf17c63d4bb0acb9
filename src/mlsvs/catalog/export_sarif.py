"""SARIF 2.1.0 taxonomy of the catalog, so scanner results can reference requirement IDs."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mlsvs.catalog.export_cyclonedx import PROJECT_URL
from mlsvs.catalog.export_json import effective_tags
from mlsvs.output.docs import requirement_uri
from mlsvs.output.sarif import SARIF_SCHEMA, dump

if TYPE_CHECKING:
    from mlsvs.model.catalog import Standard

TAXONOMY_NAME = "MLSVS"
_NAMESPACE = uuid.UUID("0c1d6b7e-9a55-4f0e-8c8a-1d2f3e4a5b6c")


def taxonomy_guid(version: str) -> str:
    """A stable GUID per standard version (SARIF ``toolComponent.guid``)."""
    return str(uuid.uuid5(_NAMESPACE, f"mlsvs-{version}"))


def _parent(parent_id: str) -> list[dict[str, Any]]:
    return [
        {
            "target": {"id": parent_id, "toolComponent": {"name": TAXONOMY_NAME}},
            "kinds": ["subset"],
        }
    ]


def _taxon(taxon_id: str, name: str, short: str, full: str) -> dict[str, Any]:
    return {
        "id": taxon_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
    }


def taxonomy(standard: Standard) -> dict[str, Any]:
    """``runs[0].taxonomies[0]``: chapters, sections and requirements as taxa."""
    taxa: list[dict[str, Any]] = []
    for chapter in standard.chapters:
        taxa.append(_taxon(chapter.id, chapter.title, chapter.title, chapter.objective))
        for section in chapter.sections:
            taxon = _taxon(section.id, section.title, section.title, section.objective)
            taxon["relationships"] = _parent(chapter.id)
            taxa.append(taxon)
            for req in section.requirements:
                taxon = _taxon(req.id, req.title, req.title, req.text)
                taxon["helpUri"] = requirement_uri(req.id, req.title)
                taxon["properties"] = {
                    "cite": req.cite(standard.version),
                    "level": int(req.level),
                    "method": req.verification.value,
                    "tags": list(effective_tags(req, chapter)),
                }
                taxon["relationships"] = _parent(section.id)
                taxa.append(taxon)
    return {
        "name": TAXONOMY_NAME,
        "fullName": standard.name,
        "version": standard.version,
        "guid": taxonomy_guid(standard.version),
        "organization": "OWASP",
        "informationUri": PROJECT_URL,
        "isComprehensive": True,
        "shortDescription": {"text": standard.description},
        "taxa": taxa,
    }


def sarif_document(standard: Standard) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run that carries the taxonomy and no results."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "mlsvs", "informationUri": PROJECT_URL}},
                "taxonomies": [taxonomy(standard)],
                "results": [],
            }
        ],
    }


def export_sarif_taxonomy(standard: Standard) -> str:
    """The SARIF JSON text."""
    return dump(sarif_document(standard))
