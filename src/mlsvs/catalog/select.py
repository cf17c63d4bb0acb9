"""Selecting requirements: by level, chapter, method, tag, mapping, and by scope.

Applicability (from the standard's level semantics): a requirement applies when its own tags
and its chapter's tags are *all* declared; an empty tag set means it always applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.catalog.export_json import effective_tags
from mlsvs.model.catalog import Level, Verification

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.model.catalog import Chapter, Requirement, Standard


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    """Conditions a requirement must meet; every unset field matches everything."""

    level: Level | None = None
    """Applies at this level (cumulative: entry level <= ``level``)."""
    only_level: Level | None = None
    """Entry level exactly this one."""
    chapters: frozenset[str] = frozenset()
    methods: frozenset[Verification] = frozenset()
    tags: frozenset[str] = frozenset()
    """The requirement (or its chapter) carries at least one of these tags."""
    maps: frozenset[str] = frozenset()
    """Maps to one of these foreign IDs (see ``maps_to``)."""


def walk(standard: Standard) -> Iterator[tuple[Chapter, Requirement]]:
    """Every requirement with its chapter, in document order."""
    for chapter in standard.chapters:
        for req in chapter.requirements:
            yield chapter, req


def maps_to(req: Requirement, wanted: str) -> bool:
    """``ML06``, ``AML.T0010`` (also matches its sub-techniques ``AML.T0010.xxx``),
    ``C6.1.1``, ``Art. 15(5)``, or ``framework_key:ID``; case-insensitive."""
    key, sep, foreign = wanted.partition(":")
    if sep and key.lower() in {k.lower() for k in req.mappings}:
        candidates = [i for k, ids in req.mappings.items() if k.lower() == key.lower() for i in ids]
    else:
        candidates = [i for ids in req.mappings.values() for i in ids]
        foreign = wanted
    needle = foreign.strip().lower()
    return any(c.lower() == needle or c.lower().startswith(f"{needle}.") for c in candidates)


def matches(req: Requirement, chapter: Chapter, flt: Filter) -> bool:
    """Does ``req`` meet every condition of ``flt``?"""
    tags = effective_tags(req, chapter)
    return (
        (flt.level is None or req.level <= flt.level)
        and (flt.only_level is None or req.level == flt.only_level)
        and (not flt.chapters or chapter.id in flt.chapters)
        and (not flt.methods or req.verification in flt.methods)
        and (not flt.tags or bool(flt.tags.intersection(tags)))
        and (not flt.maps or any(maps_to(req, m) for m in flt.maps))
    )


def select(standard: Standard, flt: Filter) -> list[tuple[Chapter, Requirement]]:
    """The requirements that match ``flt``, in document order."""
    return [(c, r) for c, r in walk(standard) if matches(r, c, flt)]


def applies(req: Requirement, chapter: Chapter, declared: frozenset[str]) -> bool:
    """Whether ``req`` applies to a system that declares the tags ``declared``."""
    return set(effective_tags(req, chapter)) <= declared
