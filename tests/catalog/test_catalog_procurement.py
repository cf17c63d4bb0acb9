"""The procurement annex: scope decisions and the three renderings."""

from __future__ import annotations

import csv
import io

import pytest

from mlsvs.catalog import load_directory
from mlsvs.catalog.procurement import (
    RESPONSE_COLUMNS,
    annex_markdown,
    build_annex,
    evidence_required,
    response_template_csv,
)
from mlsvs.catalog.procurement_html import annex_html
from mlsvs.errors import UsageError
from mlsvs.model.catalog import Level

from .helpers import copy_valid, edit


def _ids(items) -> list[str]:
    return [i.requirement.id for i in items]


def test_scope_is_cumulative_and_split_by_declared_tags(standard) -> None:
    annex = build_annex(standard, Level.L2)
    assert _ids(annex.in_scope) == ["M1.1.1", "M1.2.2"]
    assert _ids(annex.out_of_scope) == ["M1.1.2", "M2.1.1"]
    assert annex.out_of_scope[1].missing_tags == ("genai",)
    annex = build_annex(standard, Level.L3, tags=frozenset({"personal_data", "genai"}))
    assert _ids(annex.in_scope) == ["M1.1.1", "M1.2.1", "M1.2.2", "M2.1.1"]
    assert _ids(annex.out_of_scope) == ["M1.1.2"]


def test_chapter_filter(standard) -> None:
    annex = build_annex(standard, Level.L3, tags=frozenset({"genai"}), chapters=frozenset({"M2"}))
    assert _ids(annex.in_scope) == ["M2.1.1"]
    with pytest.raises(UsageError, match="unknown chapter 'M7'"):
        build_annex(standard, Level.L1, chapters=frozenset({"M7"}))


def test_evidence_depends_on_the_method(standard) -> None:
    static = evidence_required(standard.requirement("M1.1.1"))
    assert static.startswith("Automated static-analysis report covering: model_artifact")
    assert "`mlsvs verify` results (JSON or CycloneDX) are acceptable" in static
    hybrid = evidence_required(standard.requirement("M1.1.2"))
    assert "signed supplier attestation" in hybrid
    attest = evidence_required(standard.requirement("M1.2.1"))
    assert attest == "Signed supplier attestation backed by: hash_manifest."
    assert "seeds" in evidence_required(standard.requirement("M1.2.2"))


def test_markdown_annex_has_intro_scope_and_requirements(standard) -> None:
    text = annex_markdown(build_annex(standard, Level.L2, tags=frozenset({"personal_data"})))
    assert text.startswith("# Procurement annex: MLSVS 1.0.0, level L2\n")
    assert "How to use it:" in text
    assert "- Target level: L2 (requirements with entry level <= 2)" in text
    assert "  - `personal_data`: Training or inference data contains personal data." in text
    assert "| M1.1.2 | Artifacts are signed | L2 | exposes_inference_api |" in text
    assert "#### v1.0.0-M1.2.2 Poisoning screening" in text
    assert "- Fail condition: No screening report." in text
    assert "M1.2.1" not in text  # level 3


def test_response_template(standard) -> None:
    rows = list(csv.DictReader(io.StringIO(response_template_csv(build_annex(standard, Level.L1)))))
    assert tuple(rows[0]) == RESPONSE_COLUMNS
    assert [r["requirement_id"] for r in rows] == ["M1.1.1"]
    row = rows[0]
    assert row["citation"] == "v1.0.0-M1.1.1"
    assert row["level"] == "L1"
    assert row["supplier_claim"] == row["justification"] == row["evidence_reference"] == ""


def test_html_is_escaped_and_self_contained(tmp_path) -> None:
    copy = copy_valid(tmp_path)
    edit(
        copy / "chapters/M1-artifacts.yaml",
        "title: Artifacts are signed",
        "title: Artifacts <script>alert(1)</script> signed",
    )
    annex = build_annex(load_directory(copy), Level.L2, tags=frozenset({"exposes_inference_api"}))
    page = annex_html(annex)
    assert "<script>" not in page
    assert "Artifacts &lt;script&gt;alert(1)&lt;/script&gt; signed" in page
    assert "<style>" in page and "@media print" in page
    for external in ("<link", "src=", "@import", "http://", "https://"):
        assert external not in page
    assert "<code>mlsvs procurement -f csv</code>" in page
    assert page.count('class="req"') == 3
