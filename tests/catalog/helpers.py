"""Paths of the fixture catalogs and helpers to derive broken copies in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGS = FIXTURES / "catalogs"
VALID = CATALOGS / "valid"
REFERENCE_FILES = ("frameworks.yaml", "owasp-ml-top10-2023.yaml", "atlas/atlas-5.6.yaml")


def copy_valid(tmp_path: Path, *, with_references: bool = True) -> Path:
    """A writable copy of the valid catalog; reference files copied into it unless asked not to."""
    target = tmp_path / "catalog"
    shutil.copytree(VALID, target)
    if with_references:
        for name in REFERENCE_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(FIXTURES / name, target / name)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of ``old`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


SARIF_SCHEMA = (
    Path(__file__).resolve().parents[1] / "render" / "schemas" / "sarif-schema-2.1.0.json"
)


def sarif_errors(doc: dict) -> list[str]:
    """Errors of ``doc`` against the official SARIF 2.1.0 schema (vendored by tests/render)."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    return [e.message for e in validator.iter_errors(doc)]
