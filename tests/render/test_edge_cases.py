"""Every renderer on an empty run, an interrupted run and results from an older tool."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mlsvs.render.base import instantiate, load_renderers
from mlsvs.render.sarif import sarif_log
from tests.render import builders

SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text()
)


def _empty():
    return builders.assessment(
        verdicts=(),
        findings=(),
        artifacts=(),
        checks=(),
        attestations=(),
        problems=(),
        levels=(),
        project=dataclasses.replace(builders.assessment().project, name="", traits=()),
        started_at="",
        finished_at="",
    )


@pytest.mark.parametrize("name", sorted(load_renderers()))
@pytest.mark.parametrize("kind", ["empty", "interrupted"])
def test_every_renderer_handles_degenerate_runs(name, kind):
    a = _empty() if kind == "empty" else builders.assessment(interrupted=True)
    out = io.StringIO()
    instantiate(load_renderers([name])[name], {"M4.1.1": "t"}).render(a, out)
    text = out.getvalue()
    assert text.endswith("\n")
    if name == "sarif":
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(text))
    if name == "cyclonedx":
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    if kind == "interrupted" and name in {"terminal", "markdown", "html"}:
        assert "interrupted" in text


def test_sarif_rule_for_a_finding_whose_check_is_not_listed(assessment):
    a = dataclasses.replace(assessment, checks=())
    log = sarif_log(a)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["MLC201"]["properties"]["tags"] == ["security", "mlsvs", "M4.1.1", "M5.2.1"]
    assert rules["MLC101"]["defaultConfiguration"]["level"] == "error"
