"""Paths of the fixture catalogs and helpers to derive broken copies in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

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
