from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from mlsvs.model.catalog import Level
from mlsvs.model.result import Measurement, SeriesPoint
from mlsvs.model.verdict import Verdict
from mlsvs.render.json import (
    JsonRenderer,
    ResultsError,
    dumps,
    load_assessment,
    parse_assessment,
    results_json_schema,
)
from tests.render import builders


def _roundtrip(a, tmp_path):
    path = tmp_path / "results.json"
    path.write_text(dumps(a), encoding="utf-8")
    return load_assessment(path)


def test_roundtrip_is_exact(assessment, passing, tmp_path):
    for a in (assessment, passing):
        back = _roundtrip(a, tmp_path)
        assert back == a
        assert back.achieved_level == a.achieved_level
    back = _roundtrip(assessment, tmp_path)
    assert back.achieved_level is None
    assert isinstance(back.target_level, Level)
    assert back.verdicts[0].verdict is Verdict.PASS
    assert back.attestations[0].date == assessment.attestations[0].date
    robust = next(m for f in back.findings for m in f.measurements if m.series)
    assert robust.series[1] == SeriesPoint(x=0.01, y=0.81)
    assert robust.parameters == builders.ROBUST.parameters


def test_non_finite_measurements_stay_standard_json(assessment, tmp_path):
    weird = Measurement(
        name="loss", value=float("inf"), threshold=float("-inf"), lower=float("nan")
    )
    finding = dataclasses.replace(assessment.findings[0], measurements=(weird,))
    a = dataclasses.replace(assessment, findings=(finding, *assessment.findings[1:]))
    text = dumps(a)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    m = _roundtrip(a, tmp_path).findings[0].measurements[0]
    assert m.value == float("inf") and m.threshold == float("-inf") and m.lower != m.lower


def test_output_is_deterministic_and_versioned(assessment):
    text = dumps(assessment)
    assert text == dumps(builders.assessment())
    assert json.loads(text)["schema_version"] == "1.3"
    assert text.startswith('{\n  "schema_version": "1.3"')


def test_schema_validates_results(assessment, passing):
    schema = results_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for a in (assessment, passing):
        validator.validate(json.loads(dumps(a)))
    broken = json.loads(dumps(assessment))
    broken["verdicts"][0]["verdict"] = "maybe"
    assert not validator.is_valid(broken)
    assert schema["$id"].endswith("results.schema.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"tool": 1}', "no schema_version"),
        ('{"schema_version": "2.0"}', "schema_version 2.0 is not supported"),
        ('{"schema_version": "1.0"}', "invalid results file"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultsError, match=message) as info:
        load_assessment(path)
    diag = info.value.diagnostics()
    assert diag.startswith(str(path))
    assert "\n" not in diag


def test_wrong_enum_names_the_field(assessment):
    data = json.loads(dumps(assessment))
    data["verdicts"][2]["verdict"] = "bogus"
    with pytest.raises(ResultsError, match=r"verdicts\.2\.verdict"):
        parse_assessment(data, source="x.json")


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ResultsError, match="not found"):
        load_assessment(tmp_path / "absent.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ResultsError, match="cannot read"):
        load_assessment(binary)


def test_renderer_writes_dumps(assessment):
    import io

    out = io.StringIO()
    JsonRenderer().render(assessment, out)
    assert out.getvalue() == dumps(assessment)
