"""Read model and dataset cards: Markdown with Hugging Face YAML front matter."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_MAX_CARD_BYTES = 2 * 1024 * 1024
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
# Front-matter keys that only dataset cards use.
_DATASET_KEYS = frozenset(
    {
        "task_categories",
        "size_categories",
        "dataset_info",
        "configs",
        "source_datasets",
        "annotations_creators",
        "language_creators",
        "multilinguality",
        "task_ids",
    }
)
_MODEL_KEYS = frozenset(
    {
        "model-index",
        "pipeline_tag",
        "library_name",
        "base_model",
        "model_name",
        "model_type",
        "inference",
        "widget",
    }
)
_CARD_NAMES = {
    "model_card.md": "model",
    "modelcard.md": "model",
    "model-card.md": "model",
    "dataset_card.md": "dataset",
    "datasheet.md": "dataset",
    "dataset-card.md": "dataset",
    "data_card.md": "dataset",
}


def read_card(path: Path) -> tuple[str, dict[str, object], tuple[str, ...]] | None:
    """``(kind, front matter, headings)`` for a model/dataset card, None for other Markdown."""
    try:
        if path.stat().st_size > _MAX_CARD_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    metadata = front_matter(text)
    by_name = _CARD_NAMES.get(path.name.lower())
    if metadata is None and by_name is None:
        return None
    meta = metadata or {}
    kind = by_name or _kind_from_keys(meta)
    if kind is None:
        return None
    headings = tuple(h.strip().lower() for h in _HEADING.findall(_body(text)))
    return kind, meta, headings


def front_matter(text: str) -> dict[str, object] | None:
    """The YAML mapping between leading ``---`` fences, or None (absent or not a mapping)."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    import yaml

    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return None
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else None


def _body(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end >= 0:
            return text[end + 4 :]
    return text


def _kind_from_keys(metadata: dict[str, object]) -> str | None:
    keys = set(metadata)
    if keys & _DATASET_KEYS:
        return "dataset"
    if keys & _MODEL_KEYS or {"license", "tags"} <= keys or "datasets" in keys:
        return "model"
    return None
