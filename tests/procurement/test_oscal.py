"""OSCAL: the catalog, an annex's selection as a profile and an assessment as assessment-results,
each validated with compliance-trestle's OSCAL models; the profile imports back into verify."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mlsvs.catalog import load_standard
from mlsvs.catalog.oscal import catalog_to_oscal
from mlsvs.cli.main import main
from mlsvs.engine.profile import ProfileError, load_profile, resolve
from mlsvs.model.assessment import SetBy
from mlsvs.model.catalog import Level
from mlsvs.procurement.annex import build_annex
from mlsvs.procurement.answers import parse_answers
from mlsvs.procurement.oscal_profile import annex_to_oscal_profile
from mlsvs.procurement.questionnaire import decide_scope
from mlsvs.render.json import dumps
from mlsvs.render.oscal import assessment_results
from tests.render.builders import HOSTILE, assessment

trestle_catalog = pytest.importorskip("trestle.oscal.catalog")
from trestle.oscal.assessment_results import AssessmentResults  # noqa: E402
from trestle.oscal.profile import Profile  # noqa: E402


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_catalog_validates_and_carries_every_requirement(version) -> None:
    standard = load_standard(version)
    document = catalog_to_oscal(standard)
    catalog = trestle_catalog.Catalog.model_validate(document["catalog"])
    controls = {c.id: c for g in catalog.groups for s in g.groups or () for c in s.controls or ()}
    assert set(controls) == set(standard.requirements)
    for requirement in standard.requirements.values():  # 1.0.0 has no parameters
        params = controls[requirement.id].params or ()
        assert {p.id for p in params} == {p.key for p in requirement.parameters}
    control = controls["M4.1.1"]
    assert {p.name for p in control.parts} == {"statement", "assessment-objective", "guidance"}
    assert document == catalog_to_oscal(standard)  # deterministic UUIDs


def _annex():
    standard = load_standard("1.1.0")
    parsed = parse_answers(
        {
            "buyer": "Example Bank plc",
            "contract": "EB-2026-117",
            "scope": {"exposes_api": "yes", "llm": "no"},
            "parameters": {"M6.2.1.epsilon": 0.031373, "M6.2.1.norm": "l2"},
        }
    )
    annex = build_annex(
        standard,
        Level.L2,
        decide_scope(standard, parsed.scope),
        {"M8.1.1": ("MLC501",)},
        buyer=parsed.buyer,
        issued=dt.date(2026, 12, 2),
    )
    return standard, annex


def test_profile_validates_and_imports_back_as_a_verification_profile(tmp_path) -> None:
    standard, annex = _annex()
    document = annex_to_oscal_profile(annex)
    profile = Profile.model_validate(document["profile"])
    included = profile.imports[0].include_controls[0].with_ids
    assert [i.root if hasattr(i, "root") else i for i in included] == [
        r.id for r in annex.requirements
    ]
    path = tmp_path / "profile.oscal.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_profile(path)
    assert (loaded.role, loaded.issuer, loaded.level, loaded.standard) == (
        "buyer",
        "Example Bank plc",
        Level.L2,
        "1.1.0",
    )
    assert loaded.assignments == {"M6.2.1.epsilon": 0.031373, "M6.2.1.norm": "l2"}
    settings = {s.key: s for s in resolve(standard, Level.L2, loaded)}
    assert settings["M6.2.1.epsilon"].value == 0.031373
    assert settings["M6.2.1.epsilon"].set_by is SetBy.PROFILE
    assert settings["M6.2.1.norm"].value == "l2"
    # a value outside the standard's bounds is refused on import, like any profile
    entries = document["profile"]["modify"]["set-parameters"]
    next(e for e in entries if e["param-id"] == "M6.2.1.epsilon")["values"] = ["0.5"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        resolve(standard, Level.L2, load_profile(path))
    assert (
        "M6.2.1.epsilon = 0.5 is outside the bounds the standard fixes" in caught.value.problems[0]
    )


def test_verify_accepts_the_oscal_profile(tmp_path, capsys) -> None:
    _, annex = _annex()
    path = tmp_path / "profile.oscal.json"
    path.write_text(json.dumps(annex_to_oscal_profile(annex)), encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "mlsvs.toml").write_text('name = "tiny"\nstandard = "1.1.0"\n', encoding="utf-8")
    out = tmp_path / "results.json"
    argv = ["verify", str(project), "--profile", str(path), "--select", "MLC401"]
    code = main([*argv, "--no-progress", "-f", f"json:{out}"])
    assert code in {0, 1}, capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["profile"]["issuer"] == "Example Bank plc"
    assert data["target_level"] == 2
    eps = next(p for p in data["parameters"] if p["key"] == "M6.2.1.epsilon")
    assert (eps["value"], eps["set_by"]) == (0.031373, "profile")


def test_assessment_results_validate_and_keep_hostile_text_as_data(tmp_path) -> None:
    result = assessment()
    document = assessment_results(result, results_sha256="a" * 64)
    parsed = AssessmentResults.model_validate(document["assessment-results"])
    findings = parsed.results[0].findings
    assert len(findings) == len(result.verdicts)
    states = {
        f.target.target_id: (f.target.status.state.value, f.target.status.reason) for f in findings
    }
    for v in result.verdicts:
        state = states[f"{v.requirement}_obj"]
        if v.verdict.value == "pass":
            assert state == ("satisfied", "pass")
        elif v.verdict.value == "fail":
            assert state == ("not-satisfied", "fail")
        elif v.verdict.value != "not_applicable":
            assert state[0] == "not-satisfied"
    text = json.dumps(document)
    assert json.loads(text) == document
    hostile = next(v for v in result.verdicts if any(HOSTILE in r for r in v.reasons))
    observations = document["assessment-results"]["results"][0]["observations"]
    described = next(o for o in observations if o["title"].startswith(hostile.requirement))
    assert HOSTILE in described["description"]  # kept as data in a JSON string
    assert "\n" not in described["title"]
    results = tmp_path / "results.json"
    results.write_text(dumps(result), encoding="utf-8")
    out = tmp_path / "ar.json"
    assert main(["oscal", "assessment-results", str(results), "-o", str(out)]) == 0
    AssessmentResults.model_validate(json.loads(out.read_text())["assessment-results"])
    catalog_out = tmp_path / "catalog.json"
    assert main(["oscal", "catalog", "--standard-version", "1.1.0", "-o", str(catalog_out)]) == 0
    trestle_catalog.Catalog.model_validate(json.loads(catalog_out.read_text())["catalog"])
