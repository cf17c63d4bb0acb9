"""Exports of the fixture catalog: structure, determinism and official-schema validity."""

from __future__ import annotations

import csv
import io
import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mlsvs.catalog import load_directory
from mlsvs.catalog.export_cyclonedx import cyclonedx_document, export_cyclonedx
from mlsvs.catalog.export_sarif import sarif_document
from mlsvs.catalog.exports import FORMAT_NAMES, export, formats
from mlsvs.errors import UsageError

from .helpers import copy_valid, edit, sarif_errors


def test_format_table_matches_names() -> None:
    assert tuple(formats()) == FORMAT_NAMES


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_exports_are_deterministic(standard, name) -> None:
    assert export(standard, name) == export(standard, name)


def test_unknown_format_is_a_usage_error(standard) -> None:
    with pytest.raises(UsageError, match="unknown export format 'xml'"):
        export(standard, "xml")


def test_nested_json_has_every_field(standard) -> None:
    doc = json.loads(export(standard, "json"))
    assert doc["version"] == "1.0.0"
    assert doc["digest"] == standard.digest
    assert [lv["level"] for lv in doc["levels"]] == [1, 2, 3]
    assert [t["id"] for t in doc["applicability_tags"]] == [
        "exposes_inference_api",
        "genai",
        "personal_data",
    ]
    chapter = doc["chapters"][1]
    assert chapter["optional"] is True
    assert chapter["applicability"] == ["genai"]
    req = doc["chapters"][0]["sections"][0]["requirements"][1]
    assert req == {
        "id": "M1.1.2",
        "cite": "v1.0.0-M1.1.2",
        "title": "Artifacts are signed",
        "text": "Verify that model artifacts are signed and the signature covers every file.",
        "level": 2,
        "applicability": ["exposes_inference_api"],
        "verification": {
            "method": "hybrid",
            "evidence": ["signature_bundle"],
            "pass_criteria": "A valid signature covers every file.",
            "fail_condition": "Unsigned or partially signed artifacts.",
        },
        "guidance": {
            "why": "Signatures bind the artifact to its producer.",
            "how": "Use OpenSSF model-signing.",
            "tools": [],
        },
        "cwe": [],
        "mappings": {"eu_ai_act_2024": ["Art. 15(5)"], "mitre_atlas_5.6": ["AML.T0010"]},
        "history": [{"version": "1.0.0", "change": "added", "note": ""}],
    }


def test_flat_json_has_one_cited_record_per_requirement(standard) -> None:
    doc = json.loads(export(standard, "json-flat"))
    records = doc["requirements"]
    assert [r["cite"] for r in records] == [f"v1.0.0-{i}" for i in standard.requirements]
    genai = records[-1]
    assert (genai["chapter_id"], genai["section_id"]) == ("M2", "M2.1")
    assert genai["applicability"] == ["genai"]  # inherited from the optional chapter


def test_csv_joins_lists_and_has_a_column_per_framework(standard) -> None:
    rows = list(csv.DictReader(io.StringIO(export(standard, "csv"))))
    assert len(rows) == len(standard.requirements)
    first = rows[0]
    assert first["id"] == "M1.1.1"
    assert first["level"] == "1"
    assert first["evidence"] == "model_artifact; scanner_report"
    assert first["map:mitre_atlas_5.6"] == "AML.T0010.003; AML.M0013"
    assert first["map:owasp_ml_top10_2023"] == "ML06"
    assert first["map:eu_ai_act_2024"] == ""
    assert first["cwe"] == "CWE-502"
    assert rows[1]["map:eu_ai_act_2024"] == "Art. 15(5)"


def test_cyclonedx_validates_against_the_official_1_6_schema(standard) -> None:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(
        export_cyclonedx(standard), all_errors=True
    )
    assert errors is None, [str(e) for e in errors]


def test_cyclonedx_schema_check_is_real(standard) -> None:
    doc = cyclonedx_document(standard)
    doc["definitions"]["standards"][0]["requirements"][0]["severity"] = "high"
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    assert errors is not None


def test_cyclonedx_structure(standard) -> None:
    definition = cyclonedx_document(standard)["definitions"]["standards"][0]
    assert definition["bom-ref"] == "mlsvs-1.0.0"
    refs = [r["bom-ref"] for r in definition["requirements"]]
    assert len(refs) == len(set(refs))
    assert refs[:4] == [
        "mlsvs-1.0.0-M1",
        "mlsvs-1.0.0-M1.1",
        "mlsvs-1.0.0-M1.1.1",
        "mlsvs-1.0.0-M1.1.2",
    ]
    by_ref = {r["bom-ref"]: r for r in definition["requirements"]}
    assert "parent" not in by_ref["mlsvs-1.0.0-M1"]
    assert by_ref["mlsvs-1.0.0-M1.1"]["parent"] == "mlsvs-1.0.0-M1"
    leaf = by_ref["mlsvs-1.0.0-M1.1.1"]
    assert leaf["identifier"] == "M1.1.1"
    assert leaf["parent"] == "mlsvs-1.0.0-M1.1"
    assert leaf["text"].startswith("Verify that")
    assert {
        "type": "other",
        "url": "https://cwe.mitre.org/data/definitions/502.html",
        "comment": "CWE-502",
    } in leaf["externalReferences"]
    levels = {lv["identifier"]: lv["requirements"] for lv in definition["levels"]}
    assert levels["L1"] == ["mlsvs-1.0.0-M1.1.1", "mlsvs-1.0.0-M2.1.1"]
    assert set(levels["L1"]) < set(levels["L2"]) < set(levels["L3"])  # cumulative
    assert len(levels["L3"]) == len(standard.requirements)
    assert all(ref in by_ref for refs in levels.values() for ref in refs)


def test_cyclonedx_serial_number_follows_content(tmp_path, standard) -> None:
    copy = copy_valid(tmp_path)
    edit(copy / "chapters/M1-artifacts.yaml", "Use DVC.", "Use DVC or LakeFS.")
    changed = cyclonedx_document(load_directory(copy))
    assert changed["serialNumber"] != cyclonedx_document(standard)["serialNumber"]


def test_sarif_taxonomy(standard) -> None:
    doc = sarif_document(standard)
    assert doc["version"] == "2.1.0"
    taxonomy = doc["runs"][0]["taxonomies"][0]
    assert (taxonomy["name"], taxonomy["version"]) == ("MLSVS", "1.0.0")
    taxa = {t["id"]: t for t in taxonomy["taxa"]}
    assert list(taxa)[:3] == ["M1", "M1.1", "M1.1.1"]
    leaf = taxa["M1.1.2"]
    assert leaf["name"] == "Artifacts are signed"
    assert leaf["shortDescription"]["text"] == "Artifacts are signed"
    assert leaf["fullDescription"]["text"].startswith("Verify that model artifacts")
    assert leaf["properties"] == {
        "cite": "v1.0.0-M1.1.2",
        "level": 2,
        "method": "hybrid",
        "tags": ["exposes_inference_api"],
    }
    assert leaf["relationships"] == [
        {"target": {"id": "M1.1", "toolComponent": {"name": "MLSVS"}}, "kinds": ["subset"]}
    ]
    for taxon in taxa.values():
        for rel in taxon.get("relationships", ()):
            assert rel["target"]["id"] in taxa


def test_markdown_contains_every_requirement_and_escapes_cells(tmp_path) -> None:
    copy = copy_valid(tmp_path)
    edit(
        copy / "chapters/M1-artifacts.yaml",
        "title: Artifacts are signed",
        "title: Artifacts | are signed",
    )
    text = export(load_directory(copy), "markdown")
    assert "| M1.1.2 | Artifacts \\| are signed | L2 | hybrid | exposes_inference_api |" in text
    for req_id in ("M1.1.1", "M1.1.2", "M1.2.1", "M1.2.2", "M2.1.1"):
        assert f"### {req_id} " in text
    assert "`v1.0.0-M1.2.1`" in text


def test_sarif_validates_against_the_official_schema(standard) -> None:
    assert sarif_errors(json.loads(export(standard, "sarif-taxonomy"))) == []
    broken = sarif_document(standard)
    broken["runs"][0]["taxonomies"][0]["taxa"][0]["relationships"] = [{"kinds": ["subset"]}]
    assert sarif_errors(broken)
