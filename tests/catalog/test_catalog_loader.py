"""Loading and validating catalog directories: exact problems with file:line."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from mlsvs.catalog import load_directory, load_standard, validate_directory
from mlsvs.catalog.loader import default_version
from mlsvs.catalog.yamlsource import parse_text
from mlsvs.errors import CatalogError
from mlsvs.model.catalog import Change, Level, Verification

from .helpers import CATALOGS, VALID, copy_valid, edit


def _strings(directory) -> list[str]:
    return [str(p) for p in validate_directory(directory)]


def test_valid_fixture_builds_the_domain_standard(standard) -> None:
    assert standard.version == "1.0.0"
    assert [c.id for c in standard.chapters] == ["M1", "M2"]
    assert isinstance(standard.requirements, MappingProxyType)
    assert list(standard.requirements) == ["M1.1.1", "M1.1.2", "M1.2.1", "M1.2.2", "M2.1.1"]
    req = standard.requirement("v1.0.0-M1.1.2")
    assert req.level is Level.L2
    assert req.verification is Verification.HYBRID
    assert req.applicability == frozenset({"exposes_inference_api"})
    assert req.mappings == {"eu_ai_act_2024": ("Art. 15(5)",), "mitre_atlas_5.6": ("AML.T0010",)}
    assert req.history[0].change is Change.ADDED
    assert (req.chapter, req.section) == ("M1", "M1.1")
    first = standard.requirement("M1.1.1")
    assert first.cwe == (502,)
    assert first.guidance.tools == ("modelscan", "fickling")
    assert standard.chapter("M2").optional
    assert [str(d.level) for d in standard.levels] == ["L1", "L2", "L3"]
    assert {f.key for f in standard.frameworks} >= {"owasp_ml_top10_2023", "mitre_atlas_5.6"}
    assert len(standard.digest) == 64


def test_digest_is_stable_and_tracks_content(tmp_path, standard) -> None:
    assert load_directory(VALID).digest == standard.digest
    copy = copy_valid(tmp_path)
    assert load_directory(copy).digest == standard.digest
    edit(copy / "chapters/M1-artifacts.yaml", "Convert to safetensors.", "Convert weights.")
    assert load_directory(copy).digest != standard.digest


def test_load_standard_caches_per_directory() -> None:
    assert load_standard(directory=VALID) is load_standard(directory=VALID)


def test_broken_catalog_reports_every_problem_with_lines() -> None:
    assert _strings(CATALOGS / "broken") == [
        "chapters/M1-semantics.yaml:18: duplicate ID M1.1.1 (first defined at "
        "chapters/M1-semantics.yaml:9)",
        "chapters/M1-semantics.yaml:25: M1.2.5 is not nested under M1.1",
        "chapters/M1-semantics.yaml:29: applicability tag 'cloud_only' is not declared",
        "chapters/M1-semantics.yaml:33: 'AML.T9999' is not an ID of mitre_atlas_5.6",
        "chapters/M1-semantics.yaml:33: 'ATLAS-1' does not match the mitre_atlas_5.6 ID pattern",
        "chapters/M1-semantics.yaml:34: unknown framework 'nist_csf'",
        "chapters/M1-semantics.yaml:37: the first history entry must be 'added'",
        "chapters/M1-semantics.yaml:38: history version 2.0.0 is newer than 1.0.0",
        "chapters/M1-semantics.yaml:39: M2.1 is not nested under M1",
        "chapters/M2-schema.yaml:4: unknown key 'owner'",
        "chapters/M2-schema.yaml:13: level must be 1, 2 or 3 (got 4)",
        "chapters/M2-schema.yaml:18: title is longer than 80 characters (got 'This title is far "
        "too long for a requirement title because it goes on and on and on')",
        "chapters/M2-schema.yaml:19: requirement text must start with 'Verify that' (got 'Check "
        "that the text starts with the right words.')",
        "chapters/M2-schema.yaml:21: verification.method: Input should be 'a-static', "
        "'a-runtime', 'hybrid' or 'attest' (got 'manual')",
        "chapters/M2-schema.yaml:23: unknown key 'severity'",
        "chapters/M4-stray.yaml: chapter M4 is not listed in standard.yaml",
        "standard.yaml:30: no file for chapter M3",
    ]


def test_malformed_yaml_is_one_located_problem() -> None:
    assert _strings(CATALOGS / "malformed") == [
        "chapters/M1-bad.yaml:6: malformed YAML: while parsing a flow sequence did not find "
        "expected ',' or ']'"
    ]


def test_load_raises_catalog_error_listing_all_problems() -> None:
    with pytest.raises(CatalogError) as caught:
        load_directory(CATALOGS / "broken")
    assert "17 problem(s)" in caught.value.message
    assert len(caught.value.problems) == 17
    assert "  standard.yaml:30: no file for chapter M3" in caught.value.diagnostics()


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "chapters/M1-artifacts.yaml",
            "          owasp_ml_top10_2023: [ML06]\n",
            "          owasp_ml_top10_2023: [ML11]\n",
            [
                "chapters/M1-artifacts.yaml:25: 'ML11' does not match the owasp_ml_top10_2023 "
                "ID pattern",
                # its only ML06 mapping is gone, so the coverage rule fires too
                "owasp-ml-top10-2023.yaml:3: ML06 (AI Supply Chain Attacks) is not covered by "
                "any L1/L2 requirement",
            ],
        ),
        (
            "chapters/M1-artifacts.yaml",
            "        level: 1\n        verification:\n          method: a-static\n"
            "          evidence: [model_artifact, scanner_report]",
            "        level: 3\n        verification:\n          method: a-static\n"
            "          evidence: [model_artifact, scanner_report]",
            [
                "owasp-ml-top10-2023.yaml:3: ML06 (AI Supply Chain Attacks) is not covered by any "
                "L1/L2 requirement"
            ],
        ),
        (
            "chapters/M2-genai.yaml",
            "applicability: [genai]",
            "applicability: [genai, genai]",
            ["chapters/M2-genai.yaml:5: applicability tag 'genai' repeated"],
        ),
        (
            "chapters/M2-genai.yaml",
            "applicability: [genai]\n",
            "",
            ["chapters/M2-genai.yaml:4: an optional chapter must list applicability tags"],
        ),
        (
            "chapters/M2-genai.yaml",
            "id: M2\n",
            "id: M7\n",
            ["chapters/M2-genai.yaml:1: file is for chapter M2 but declares id M7"],
        ),
        (
            "chapters/M2-genai.yaml",
            "    title: Templates\n",
            "    title: Templates\n    title: Again\n",
            ["chapters/M2-genai.yaml:9: duplicate key 'title'"],
        ),
        (
            "standard.yaml",
            "  - level: 3\n",
            "  - level: 2\n",
            ["standard.yaml:19: level 2 defined twice", "standard.yaml:10: no definition for L3"],
        ),
        (
            "standard.yaml",
            "version: 1.0.0",
            "version: 1.0",
            ["standard.yaml:3: version must be a semver string such as 1.0.0 (got 1.0)"],
        ),
        (
            "chapters/M1-artifacts.yaml",
            "          - {version: 1.0.0, change: added}\n      - id: M1.1.2",
            "          - {version: 1.0.0, change: added}\n"
            "          - {version: 1.0.0, change: reworded}\n      - id: M1.1.2",
            ["chapters/M1-artifacts.yaml:30: a 'reworded' entry needs a note"],
        ),
        (
            "frameworks.yaml",
            "id_pattern: '^C\\d+\\.\\d+\\.\\d+$'",
            "id_pattern: '^C(\\d+$'",
            [
                "chapters/M1-artifacts.yaml:27: unknown framework 'aisvs_1.0'",
                "frameworks.yaml:15: invalid regex: missing ), unterminated subpattern at "
                "position 2",
            ],
        ),
    ],
    ids=[
        "pattern",
        "top10-coverage",
        "repeated-tag",
        "optional-untagged",
        "id-mismatch",
        "duplicate-yaml-key",
        "levels",
        "semver",
        "history-note",
        "bad-regex",
    ],
)
def test_each_rule_reports_the_exact_problem(tmp_path, file, old, new, expected) -> None:
    catalog = copy_valid(tmp_path)
    edit(catalog / file, old, new)
    assert sorted(_strings(catalog)) == sorted(expected)


def test_missing_required_key_points_at_the_object(tmp_path) -> None:
    catalog = copy_valid(tmp_path)
    edit(
        catalog / "chapters/M2-genai.yaml",
        "          fail_condition: A template reaches Python internals.\n",
        "",
    )
    assert _strings(catalog) == ["chapters/M2-genai.yaml:15: missing required key 'fail_condition'"]


def test_reference_data_falls_back_to_the_bundled_copy(tmp_path) -> None:
    catalog = copy_valid(tmp_path, with_references=False)
    problems = _strings(catalog)
    # The fixture covers only ML02 and ML06 of the ten bundled ML Top 10 items.
    uncovered = [p for p in problems if "is not covered by any L1/L2" in p]
    assert len(uncovered) == 8
    assert all("src/mlsvs/catalog/data/owasp-ml-top10-2023.yaml:" in p for p in uncovered)


def test_not_a_catalog_directory(tmp_path) -> None:
    with pytest.raises(CatalogError, match="not a catalog directory"):
        validate_directory(tmp_path)


def test_chapter_file_names_are_checked(tmp_path) -> None:
    catalog = copy_valid(tmp_path)
    (catalog / "chapters/M2-genai.yaml").rename(catalog / "chapters/genai.yaml")
    assert _strings(catalog) == [
        "chapters/genai.yaml: chapter file name must look like M<n>-<slug>.yaml",
        "standard.yaml:30: no file for chapter M2",
    ]


def test_unknown_bundled_version_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match=r"no bundled standard version '9\.9\.9'"):
        load_standard("9.9.9")


def test_default_version_prefers_newest_final() -> None:
    assert default_version({"1.0.0": "final", "1.1.0": "draft", "0.9.0": "final"}) == "1.0.0"
    assert default_version({"1.0.0": "draft", "1.10.0": "draft", "1.2.0": "draft"}) == "1.10.0"
    with pytest.raises(CatalogError):
        default_version({})


def test_yaml_lines_map_every_key_and_item() -> None:
    source, problems = parse_text("a:\n  - x\n  - y: 1\n    z: 2\n", file="f.yaml")
    assert problems == []
    assert source is not None
    assert source.lines[("a",)] == 1
    assert source.lines[("a", 1)] == 3
    assert source.lines[("a", 1, "z")] == 4
    assert source.line_of(("a", 1, "missing")) == 3


def test_yaml_never_constructs_python_objects() -> None:
    source, problems = parse_text("x: !!python/object/apply:os.system ['true']\n", file="f.yaml")
    assert source is None
    assert problems[0].line == 1
    assert "malformed YAML" in problems[0].message


def test_standard_is_frozen(standard) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        standard.version = "2.0.0"  # type: ignore[misc]


def test_yaml_aliases_are_rejected_where_they_are_used() -> None:
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n"
    source, problems = parse_text(bomb, file="f.yaml")
    assert source is None
    assert [(p.line, p.message) for p in problems] == [
        (2, "YAML anchors and aliases are not allowed in catalog files"),
    ] * 3 + [(3, "YAML anchors and aliases are not allowed in catalog files")] * 2


def test_version_directory_must_match_the_declared_version(tmp_path) -> None:
    catalog = copy_valid(tmp_path).rename(tmp_path / "2.0.0")
    assert _strings(catalog) == ["standard.yaml:3: version 1.0.0 != directory name 2.0.0"]


@pytest.mark.parametrize("spelling", ["1.0.0", "v1.0.0", "mlsvs@1.0.0"])
def test_version_spellings(spelling) -> None:
    assert load_standard(spelling).version == "1.0.0"


def test_default_version_is_the_newest_released() -> None:
    assert load_standard(None).version == "1.1.0"
    assert default_version({"1.0.0": "final", "1.1.0": "released", "1.2.0": "draft"}) == "1.1.0"


def test_other_standard_keys_are_rejected() -> None:
    with pytest.raises(CatalogError, match="unknown standard 'asvs'"):
        load_standard("asvs@5.0.0")


def test_reference_files_are_validated_too(tmp_path) -> None:
    catalog = copy_valid(tmp_path)
    edit(catalog / "atlas/atlas-5.6.yaml", "{id: AML.T0020,", "{id: T0020,")
    assert _strings(catalog) == ["atlas/atlas-5.6.yaml:8: malformed ID (got 'T0020')"]
    edit(catalog / "frameworks.yaml", '    edition: "2024"\n', "")
    # a broken frameworks.yaml is reported once, without "unknown framework" for every mapping
    assert _strings(catalog) == ["frameworks.yaml:16: missing required key 'edition'"]
