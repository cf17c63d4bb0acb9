"""Which registered checks answer for each requirement (entry points, built-ins and plugins)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.model.catalog import Standard


def checks_by_requirement(standard: Standard) -> dict[str, tuple[str, ...]]:
    """Requirement ID -> IDs of the loaded checks mapped to it (disabled checks excluded)."""
    from mlsvs.engine.registry import load_registry

    found: dict[str, set[str]] = defaultdict(set)
    for loaded in load_registry(standard).checks:
        for requirement in loaded.check.requirements:
            if requirement in standard.requirements:
                found[requirement].add(loaded.check.id)
    return {r: tuple(sorted(ids)) for r, ids in found.items()}
