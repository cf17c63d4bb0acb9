from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import jsonschema
import pytest

from mlsvs.model.result import Status
from mlsvs.render.sarif import FINGERPRINT, SarifRenderer, sarif_log

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def _errors(validator, log) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_logs_validate_against_the_official_schema(validator, assessment, passing):
    for a in (assessment, passing):
        out = io.StringIO()
        SarifRenderer().render(a, out)
        assert _errors(validator, json.loads(out.getvalue())) == []


def test_the_schema_check_can_fail(validator, assessment):
    log = sarif_log(assessment)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert _errors(validator, broken)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] = {"startLine": 0}
    assert _errors(validator, broken)


def test_one_result_per_failed_or_errored_finding(assessment):
    run = sarif_log(assessment)["runs"][0]
    expected = {f.id for f in assessment.findings if f.status in {Status.FAIL, Status.ERROR}}
    got = [r["partialFingerprints"][FINGERPRINT] for r in run["results"]]
    assert sorted(got) == sorted(expected)
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_levels_waivers_errors_and_locations(assessment):
    results = {r["ruleId"]: r for r in sarif_log(assessment)["runs"][0]["results"]}
    assert results["MLC101"]["level"] == "error"  # critical
    assert results["MLC201"]["level"] == "warning"  # medium
    assert results["MLC202"]["level"] == "note"  # low
    assert results["MLC202"]["suppressions"][0]["kind"] == "external"
    assert "W-001" in results["MLC202"]["suppressions"][0]["justification"]
    assert "suppressions" not in results["MLC101"]
    err = results["MLC301"]
    assert err["level"] == "error" and err["properties"]["status"] == "error"
    assert err["message"]["text"].startswith("could not decide: ")
    assert "\x1b" not in err["message"]["text"]
    loc = results["MLC201"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 12, "startColumn": 5}
    evil = results["MLC101"]["locations"][0]
    assert evil["physicalLocation"]["artifactLocation"]["uri"] == "models/evil%3C1%3E.pkl"
    # The offset is inside an archive member, not the file: no byte region, the member and
    # offset are the logical location.
    assert "region" not in evil["physicalLocation"]
    assert evil["logicalLocations"][0]["fullyQualifiedName"] == "archive/data.pkl @ 0x1f"


def test_rules_and_taxonomy(assessment):
    run = sarif_log(assessment, requirement_titles={"M4.1.1": "Models load without running code"})[
        "runs"
    ][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    rule = rules["MLC201"]
    assert rule["help"]["text"] == "Use yaml.safe_load."
    assert rule["properties"]["tags"] == ["security", "mlsvs", "M4.1.1", "M5.2.1"]
    assert float(rule["properties"]["security-severity"]) == 5.5
    (taxonomy,) = run["taxonomies"]
    assert taxonomy["name"] == "MLSVS" and taxonomy["version"] == "1.0.0"
    taxa = taxonomy["taxa"]
    ids = [t["id"] for t in taxa]
    assert ids[:2] == ["M1.1.1", "M1.2.1"] and ids[-2:] == ["M10.1.1", "M10.1.2"]
    by_id = {t["id"]: t for t in taxa}
    assert by_id["M4.1.1"]["shortDescription"]["text"] == "Models load without running code"
    assert by_id["M5.2.1"]["shortDescription"]["text"] == "M5.2.1: fail at L1"
    for r in rules.values():
        for rel in r["relationships"]:
            target = rel["target"]
            assert taxa[target["index"]]["id"] == target["id"]
            assert target["toolComponent"] == {"name": "MLSVS", "index": 0}
    assert run["tool"]["driver"]["supportedTaxonomies"] == [{"name": "MLSVS", "index": 0}]


def test_srcroot_and_notifications(assessment):
    import dataclasses

    run = sarif_log(assessment)["runs"][0]
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # a relative root is not a URI
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == [
        "mlsvs/problem/discovery",
        "mlsvs/problem/waiver",
    ]
    absolute = dataclasses.replace(assessment.project, root="/srv/my project")
    run = sarif_log(dataclasses.replace(assessment, project=absolute))["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///srv/my%20project/"


def test_help_uris_point_at_the_generated_docs(assessment):
    run = sarif_log(assessment, requirement_titles={"M4.1.1": "Models load without running code"})[
        "runs"
    ][0]
    for rule in run["tool"]["driver"]["rules"]:
        assert (
            rule["helpUri"].startswith("https://") and "/docs/checks/README.md" in rule["helpUri"]
        )
    mlc101 = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "MLC101")
    assert "/docs/checks/README.md#mlc101-" in mlc101["helpUri"]
    taxa = {t["id"]: t for t in run["taxonomies"][0]["taxa"]}
    assert taxa["M4.1.1"]["helpUri"].endswith(
        "/docs/requirements/M4.md#m411-models-load-without-running-code"
    )


def test_project_level_findings_are_attached_to_the_configuration_file(assessment):
    import dataclasses

    from mlsvs.model.assessment import ArtifactRecord

    project_level = [f for f in assessment.findings if f.target.path == "."]
    assert project_level, "the fixture has project-level findings"
    with_config = dataclasses.replace(
        assessment,
        artifacts=(*assessment.artifacts, ArtifactRecord(path="mlsvs.toml", kind="config")),
    )
    for a, expected in ((assessment, "."), (with_config, "mlsvs.toml")):
        results = sarif_log(a)["runs"][0]["results"]
        uris = {
            r["partialFingerprints"][FINGERPRINT]: r["locations"][0]["physicalLocation"][
                "artifactLocation"
            ]["uri"]
            for r in results
        }
        for f in project_level:
            if f.id in uris:
                assert uris[f.id] == expected
