"""Search the standard: every word must occur in a requirement's ID, text, guidance or mappings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.model.catalog import Requirement, Standard

MAX_HITS = 200


def _haystack(req: Requirement) -> str:
    mapped = " ".join(f"{k} {' '.join(v)}" for k, v in req.mappings.items())
    parts = (
        req.id,
        req.title,
        req.text,
        req.pass_criteria,
        req.fail_condition,
        req.guidance.why,
        req.guidance.how,
        " ".join(req.guidance.tools),
        " ".join(req.evidence),
        " ".join(f"CWE-{c}" for c in req.cwe),
        mapped,
    )
    return " ".join(parts).casefold()


def search(standard: Standard, query: str) -> list[Requirement]:
    """Requirements matching every word of ``query`` (case-insensitive), ID order; ID hits first."""
    words = [w for w in query.casefold().split() if w][:12]
    if not words:
        return []
    hits = [r for r in standard.requirements.values() if all(w in _haystack(r) for w in words)]
    exact = [r for r in hits if r.id.casefold() in words]
    rest = [r for r in hits if r not in exact]
    return (exact + rest)[:MAX_HITS]
