"""Find documented topics in a card: front-matter keys or Markdown headings, by synonyms."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlsvs.model.artifact import CardDocument


def _flatten(metadata: Mapping[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in metadata.items():
        name = f"{prefix}{key}".lower().replace("-", "_").replace(" ", "_")
        if value not in (None, "", [], {}):
            keys.add(name)
            keys.add(str(key).lower().replace("-", "_").replace(" ", "_"))
        if isinstance(value, dict):
            keys |= _flatten(value, name + ".")
    return keys


def missing_topics(card: CardDocument, topics: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Topics with no non-empty front-matter key and no heading containing a synonym."""
    keys = _flatten(card.metadata)
    headings = " | ".join(card.sections)
    missing = []
    for topic, synonyms in topics.items():
        in_keys = any(s.replace(" ", "_") in keys for s in synonyms)
        in_headings = any(s in headings for s in synonyms)
        if not (in_keys or in_headings):
            missing.append(topic)
    return missing
