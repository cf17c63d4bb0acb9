"""The bundled MITRE ATLAS identifiers, read once per process."""

from __future__ import annotations

import functools
from importlib import resources

ATLAS_FILE = "atlas-5.6.yaml"


@functools.cache
def atlas_ids() -> tuple[str, frozenset[str]]:
    """``(version, IDs)`` of tactics, techniques and mitigations in the bundled ATLAS list."""
    import yaml

    text = (
        resources.files("mlsvs.catalog")
        .joinpath("data", "atlas", ATLAS_FILE)
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    ids = {
        str(entry["id"])
        for group in ("tactics", "techniques", "mitigations")
        for entry in data.get(group, [])
    }
    return str(data.get("version", "")), frozenset(ids)
