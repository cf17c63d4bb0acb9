"""Requirement titles for renderers, from the bundled catalog the results were made against."""

from __future__ import annotations


def requirement_titles(version: str) -> dict[str, str] | None:
    """ID → title for requirements, sections and chapters; None if that version is not bundled."""
    from mlsvs.catalog import bundled_versions, load_standard

    if version not in bundled_versions():
        return None
    standard = load_standard(version)
    titles = {rid: req.title for rid, req in standard.requirements.items()}
    for chapter in standard.chapters:
        titles[chapter.id] = chapter.title
        titles.update({s.id: s.title for s in chapter.sections})
    return titles
