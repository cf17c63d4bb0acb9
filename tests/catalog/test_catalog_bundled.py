"""The bundled MLSVS catalogs (default 1.1.0): size, anchors, exports and generated docs are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mlsvs.catalog import load_standard, validate_directory
from mlsvs.catalog.docs import drift, generate
from mlsvs.catalog.export_cyclonedx import export_cyclonedx
from mlsvs.catalog.export_json import effective_tags
from mlsvs.catalog.export_sarif import sarif_document
from mlsvs.catalog.exports import FORMAT_NAMES, export
from mlsvs.catalog.loader import BUNDLED
from mlsvs.catalog.reference import load_references
from mlsvs.model.catalog import Level, Verification

from .helpers import sarif_errors

ROOT = Path(__file__).resolve().parents[2]
ANCHORS = ROOT / "docs/dev/anchors.md"
_ROW = re.compile(r"^\| (M\d+\.\d+\.\d+) \| (\d) \| ([a-z-]+) \|([a-z_, ]*)\|")


def _anchors() -> list[tuple[str, int, str, frozenset[str]]]:
    rows = []
    for line in ANCHORS.read_text("utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            tags = frozenset(t.strip() for t in match[4].split(",") if t.strip())
            rows.append((match[1], int(match[2]), match[3], tags))
    return rows


@pytest.fixture(scope="module")
def bundled():
    return load_standard()


def test_every_bundled_version_validates() -> None:
    for directory in sorted(p for p in BUNDLED.iterdir() if p.is_dir()):
        assert [str(p) for p in validate_directory(directory)] == [], directory


def test_default_is_1_1_0_and_it_is_big_enough(bundled) -> None:
    assert (bundled.key, bundled.version, bundled.status) == ("mlsvs", "1.1.0", "released")
    assert len(bundled.requirements) >= 150
    assert len(bundled.chapters) >= 10
    assert all(len(c.requirements) > 0 for c in bundled.chapters)
    assert load_standard("v1.1.0") is bundled
    assert "not an OWASP publication" in bundled.status_note
    assert not bundled.name.startswith("OWASP")


def test_1_0_0_stays_loadable() -> None:
    old = load_standard("1.0.0")
    assert (old.version, len(old.requirements)) == ("1.0.0", 156)


def test_anchor_table_is_parsed() -> None:
    assert len(_anchors()) >= 40


@pytest.mark.parametrize(("req_id", "level", "method", "tags"), _anchors(), ids=lambda v: str(v))
def test_anchor_exists_with_its_level_method_and_tags(bundled, req_id, level, method, tags) -> None:
    req = bundled.requirement(req_id)
    assert req.level is Level(level)
    assert req.verification is Verification(method)
    assert frozenset(effective_tags(req, bundled.chapter(req.chapter))) == tags


def test_every_level_and_method_is_used(bundled) -> None:
    assert {r.level for r in bundled.requirements.values()} == set(Level)
    assert {r.verification for r in bundled.requirements.values()} == set(Verification)


@pytest.mark.slow  # the schema's iri-reference format check parses every URL (~2 s)
def test_cyclonedx_export_of_the_bundled_catalog_validates(bundled) -> None:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        export_cyclonedx(bundled), all_errors=True
    )
    assert errors is None, [str(e) for e in errors]


def test_sarif_taxonomy_of_the_bundled_catalog_validates(bundled) -> None:
    assert sarif_errors(sarif_document(bundled)) == []


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_export_renders(bundled, name) -> None:
    text = export(bundled, name)
    assert "M4.1.2" in text


def test_generated_catalog_docs_are_current(bundled) -> None:
    # The catalog part of scripts/gen_docs.py (CI runs the whole script with --check).
    refs, problems = load_references(BUNDLED / bundled.version)
    assert problems == []
    drifted = drift(ROOT, generate(bundled, refs))
    assert drifted == [], "run: python scripts/gen_docs.py"


def test_bundled_files_validate_against_the_committed_json_schemas() -> None:
    import json

    import jsonschema
    import yaml

    def load(path: Path) -> object:
        # yaml-language-server reads unquoted dates as strings; mimic that with default=str
        return json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))

    for kind, pattern in (("chapter", "*/chapters/*.yaml"), ("standard", "*/standard.yaml")):
        schema = json.loads((ROOT / f"schemas/catalog-{kind}.schema.json").read_text("utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        paths = sorted(BUNDLED.glob(pattern))
        assert paths
        for path in paths:
            assert [e.message for e in validator.iter_errors(load(path))] == [], path
