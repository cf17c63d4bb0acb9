"""Generated docs: content, drift detection and the committed JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlsvs.catalog.docs import drift, generate, schema_files, write
from mlsvs.catalog.reference import load_references

from .helpers import VALID

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(standard) -> dict[str, str]:
    refs, problems = load_references(VALID)
    assert problems == []
    return generate(standard, refs)


def test_generated_file_set(files) -> None:
    assert list(files) == [
        "docs/coverage/mitre-atlas.md",
        "docs/coverage/owasp-ml-top10.md",
        "docs/requirements/M1.md",
        "docs/requirements/M2.md",
        "docs/requirements/README.md",
        "schemas/catalog-chapter.schema.json",
        "schemas/catalog-standard.schema.json",
        "schemas/verification-profile.schema.json",
    ]


def test_index_counts(files) -> None:
    index = files["docs/requirements/README.md"]
    assert "| [M1](M1.md) | Model artifacts | 1 | 2 | 1 | 1 | 1 | 1 | 1 | 4 |" in index
    assert "| **Total** |  | 2 | 2 | 1 | 2 | 1 | 1 | 1 | 5 |" in index
    assert "L1: 2, L2: 4, L3: 5" in index


def test_chapter_page(files) -> None:
    page = files["docs/requirements/M1.md"]
    assert "# M1 Model artifacts" in page
    assert "### M1.1.1 Weights use a format that cannot run code on load" in page
    assert "- **Pass criteria:** Every model file is safetensors" in page
    assert "  - MITRE ATLAS (`mitre_atlas_5.6`): AML.T0010.003, AML.M0013" in page


def test_coverage_matrices(files) -> None:
    top10 = files["docs/coverage/owasp-ml-top10.md"]
    assert "| ML02 | Data Poisoning Attack | M1.2.1 (L3), M1.2.2 (L2) |" in top10
    assert "2 of 2 items are covered." in top10
    atlas = files["docs/coverage/mitre-atlas.md"]
    assert "4 of 6 items are covered." in atlas
    assert "| AML.T0024 | Exfiltration via AI Inference API | **not covered** |" in atlas
    assert "## Not covered\n\n- AML.T0024 Exfiltration via AI Inference API\n" in atlas
    headings = [line for line in atlas.splitlines() if line.startswith("## ")]
    assert headings == ["## Techniques", "## Mitigations", "## Tactics", "## Not covered"]
    assert "## Mitigations\n\n1 of 1 covered." in atlas
    ids = [line.split(" | ")[0][2:] for line in atlas.splitlines() if line.startswith("| AML")]
    assert ids == [
        "AML.T0010",
        "AML.T0010.003",
        "AML.T0020",
        "AML.T0024",
        "AML.M0013",
        "AML.TA0004",
    ]


def test_write_then_check_is_clean_and_drift_is_listed(tmp_path, files) -> None:
    assert write(tmp_path, files) == sorted(files)
    assert drift(tmp_path, files) == []
    (tmp_path / "docs/requirements/M1.md").write_text("edited\n", encoding="utf-8")
    (tmp_path / "docs/requirements/M9.md").write_text("stale\n", encoding="utf-8")
    (tmp_path / "schemas/catalog-chapter.schema.json").unlink()
    assert drift(tmp_path, files) == [
        "docs/requirements/M1.md",
        "docs/requirements/M9.md",
        "schemas/catalog-chapter.schema.json",
    ]
    write(tmp_path, files)
    assert not (tmp_path / "docs/requirements/M9.md").exists()
    assert drift(tmp_path, files) == []


def test_json_schema_accepts_fixture_chapters_and_rejects_unknown_keys() -> None:
    schema = json.loads(schema_files()["schemas/catalog-chapter.schema.json"])
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((VALID / "chapters").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        assert list(validator.iter_errors(data)) == [], path
        data["owner"] = "x"
        assert list(validator.iter_errors(data))


def test_committed_schemas_are_current() -> None:
    for path, text in schema_files().items():
        assert (ROOT / path).read_text("utf-8") == text, f"run scripts/gen_docs.py ({path})"
