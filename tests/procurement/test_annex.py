"""The contract annex: questionnaire scope (fail closed), evidence from the registry, schedule,
terms, and every rendering (Markdown, HTML, JSON + schema, response forms, profiles)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest

from mlsvs.catalog import load_directory, load_standard
from mlsvs.cli.main import main
from mlsvs.errors import ConfigError, UsageError
from mlsvs.model.catalog import Level
from mlsvs.procurement.annex import build_annex
from mlsvs.procurement.annex_json import annex_json_schema, annex_to_json, load_annex, parse_annex
from mlsvs.procurement.answers import parse_answers
from mlsvs.procurement.checkmap import checks_by_requirement
from mlsvs.procurement.evidence_rules import EvidenceKind
from mlsvs.procurement.questionnaire import Answer, ask, decide_scope
from mlsvs.procurement.render_annex import (
    RESPONSE_COLUMNS,
    annex_markdown,
    response_csv,
    response_json,
)
from mlsvs.procurement.render_annex_html import annex_html
from tests.catalog.helpers import VALID, copy_valid, edit

ROOT = Path(__file__).resolve().parents[2]
ISSUED = dt.date(2026, 12, 2)
API_REQUIREMENTS = ("M8.1.1", "M8.2.1", "M8.6.1")  # authentication, rate limits, TLS


@pytest.fixture(scope="module")
def standard():
    return load_standard("1.1.0")


@pytest.fixture(scope="module")
def checks(standard):
    return checks_by_requirement(standard)


def _annex(standard, checks, level=Level.L2, answers=None, **buyer):
    parsed = parse_answers({"scope": answers or {}, **buyer})
    return build_annex(
        standard,
        level,
        decide_scope(standard, parsed.scope),
        checks,
        buyer=parsed.buyer,
        issued=ISSUED,
    )


def test_api_requirements_stay_when_the_questionnaire_says_an_api_is_exposed(
    standard, checks
) -> None:
    annex = _annex(standard, checks, answers={"exposes_api": "yes"})
    ids = {r.id for r in annex.requirements}
    assert set(API_REQUIREMENTS) <= ids
    assert annex.requirement("M8.1.1").scope_reason == (
        "`exposes_inference_api`: answered yes (exposes_api)"
    )
    # nothing answered at all: still in scope, and the annex says why (fail closed)
    silent = _annex(standard, checks)
    assert set(API_REQUIREMENTS) <= {r.id for r in silent.requirements}
    assert "not answered, kept in scope (fail closed)" in silent.requirement("M8.2.1").scope_reason
    assert silent.out_of_scope == ()
    text = annex_markdown(silent)
    assert "Unanswered questions: on_device, exposes_api" in text
    assert "NOT ANSWERED: its requirements are kept in scope (fail closed)" in text


def test_only_an_explicit_no_removes_requirements(standard, checks) -> None:
    annex = _annex(standard, checks, answers={"exposes_api": False, "llm": "no"})
    ids = {r.id for r in annex.requirements}
    assert not set(API_REQUIREMENTS) & ids
    assert "M4.2.3" in ids  # TLS for downloads is a core requirement: always in scope
    out = {o.id: o for o in annex.out_of_scope}
    assert out["M8.1.1"].reason == "answered no to exposes_api (`exposes_inference_api`)"
    assert all(o.id.startswith("M11.") or "exposes_inference_api" in o.tags for o in out.values())
    with pytest.raises(ConfigError, match="unknown scope question 'cloud'"):
        decide_scope(standard, {"cloud": "yes"})
    with pytest.raises(ConfigError, match="answer must be yes, no or unanswered"):
        decide_scope(standard, {"llm": "maybe"})


def test_evidence_comes_from_the_registry_not_the_method(standard, checks) -> None:
    annex = _annex(standard, checks, answers={"exposes_api": "yes"})
    auth = annex.requirement("M8.1.1").evidence
    assert auth.kinds == (EvidenceKind.AUTOMATED,)
    assert auth.checks == checks["M8.1.1"] and auth.checks  # named checks that really exist
    # Every in-scope automated requirement has a check today: take one check away to see
    # that the annex then asks for what the registry can give, not what the method says.
    automated = [r.id for r in annex.requirements if r.verification in {"a-static", "a-runtime"}]
    assert automated
    trimmed = {k: v for k, v in checks.items() if k != automated[0]}
    annex = _annex(standard, trimmed, answers={"exposes_api": "yes"})
    unchecked = [
        r
        for r in annex.requirements
        if r.verification in {"a-static", "a-runtime"} and r.id not in trimmed
    ]
    assert [r.id for r in unchecked] == [automated[0]]
    for r in unchecked:
        assert EvidenceKind.AUTOMATED not in r.evidence.kinds
        assert r.evidence.kinds == (EvidenceKind.ATTESTATION,)
        assert "a tool report alone is not accepted" in r.evidence.describe()
    hybrid = [r for r in annex.requirements if r.verification == "hybrid"]
    assert all(EvidenceKind.ATTESTATION in r.evidence.kinds for r in hybrid)


def test_l3_never_accepts_self_attestation(standard, checks) -> None:
    annex = _annex(standard, checks, level=Level.L3)
    for r in annex.requirements:
        if EvidenceKind.ATTESTATION in r.evidence.kinds:
            assert EvidenceKind.INDEPENDENT in r.evidence.kinds, r.id
            assert "independent verifier" in r.evidence.describe()
    l2 = _annex(standard, checks, level=Level.L2)
    assert not any(EvidenceKind.INDEPENDENT in r.evidence.kinds for r in l2.requirements)


def test_parameter_schedule_uses_the_profile_rules(standard, checks) -> None:
    annex = _annex(standard, checks, parameters={"M6.2.1.epsilon": 0.031373, "M6.2.1.norm": "l2"})
    eps = annex.parameter("M6.2.1.epsilon")
    assert (eps.value, eps.standard_value, eps.set_by) == (0.031373, 0.015686, "buyer")
    assert eps.bounds == "0.0019608..0.062745"
    fixed = annex.parameter("M1.2.2.max_regression")
    assert fixed.set_by == "standard" and fixed.bounds == ""
    with pytest.raises(ConfigError, match="outside the bounds the standard fixes"):
        _annex(standard, checks, parameters={"M6.2.1.epsilon": 0.5})
    with pytest.raises(ConfigError, match="is fixed by the standard and cannot be assigned"):
        _annex(standard, checks, parameters={"M1.2.2.max_regression": 0.5})
    params = {k: p for k, p in standard.parameters.items() if p.requirement == "M8.2.1"}
    key = next(k for k, p in params.items() if p.assignable)
    value = params[key].values[min(params[key].values)]
    with pytest.raises(ConfigError, match=r"belongs to M8\.2\.1, which is out of scope"):
        _annex(standard, checks, answers={"exposes_api": "no"}, parameters={key: value})


def test_terms_and_parties_from_the_answers_file(standard, checks) -> None:
    annex = _annex(
        standard,
        checks,
        buyer="Example Bank plc",
        contract="EB-2026-117",
        terms={"validity_days": 180, "remediation_days": {"critical": 3, "high": 14}},
        independent_verifiers=["Example Assurance GmbH"],
    )
    assert annex.terms.validity_days == 180
    assert annex.terms.deadline("critical") == 3
    assert annex.terms.deadline("low") == 14  # not listed: the unrated severity's (high)
    text = annex_markdown(annex)
    for heading in (
        "## 5. Acceptance procedure",
        "## 6. Validity and re-verification",
        "## 7. Remediation",
        "## 8. Right to audit",
        "## 9. Change notification",
    ):
        assert heading in text
    assert "- Buyer: Example Bank plc" in text
    assert "valid for 180 days from its test date" in text
    assert "- a new model version or any change to a delivered model file" in text
    assert "- critical: 3 days" in text
    with pytest.raises(ConfigError, match="unknown terms key 'warranty'"):
        parse_answers({"terms": {"warranty": 1}})
    with pytest.raises(ConfigError, match="positive whole number of days"):
        parse_answers({"terms": {"validity_days": -1}})


def test_json_round_trip_matches_the_committed_schema(standard, checks) -> None:
    annex = _annex(standard, checks, level=Level.L3, parameters={"M6.2.1.query_budget": 20000})
    text = annex_to_json(annex)
    data = json.loads(text)
    schema = json.loads((ROOT / "schemas" / "procurement-annex.schema.json").read_text())
    assert schema == annex_json_schema()
    jsonschema.Draft202012Validator(schema).validate(data)
    assert parse_annex(data) == annex
    data["kind"] = "something-else"
    with pytest.raises(Exception, match="not an mlsvs procurement annex"):
        parse_annex(data)


def test_response_forms_have_the_measurement_columns(standard, checks) -> None:
    annex = _annex(standard, checks, answers={"exposes_api": "yes"})
    rows = list(csv.DictReader(io.StringIO(response_csv(annex))))
    assert tuple(rows[0]) == RESPONSE_COLUMNS
    for column in ("measured_value", "threshold", "test_date", "tool", "tool_version", "verifier"):
        assert column in RESPONSE_COLUMNS
    auth = next(r for r in rows if r["requirement_id"] == "M8.1.1")
    assert auth["evidence_accepted"] == "automated_result"
    assert auth["accepted_checks"] == " ".join(checks["M8.1.1"])
    assert auth["measured_value"] == auth["verifier"] == ""
    doc = json.loads(response_json(annex))
    assert doc["annex"]["level"] == "L2"
    assert len(doc["responses"]) == len(annex.requirements)
    assert doc["responses"][0]["measured_value"] is None


def test_html_is_escaped_and_self_contained(tmp_path) -> None:
    copy = copy_valid(tmp_path)
    edit(
        copy / "chapters/M1-artifacts.yaml",
        "title: Artifacts are signed",
        "title: Artifacts <script>alert(1)</script> signed",
    )
    fixture = load_directory(copy)
    annex = build_annex(
        fixture, Level.L2, decide_scope(fixture, {}), {"M1.1.1": ("MLC101",)}, issued=ISSUED
    )
    page = annex_html(annex)
    assert "<script>" not in page
    assert "Artifacts &lt;script&gt;alert(1)&lt;/script&gt; signed" in page
    assert "<style>" in page and "@media print" in page
    for external in ("<link", "src=", "@import", "http://", "https://"):
        assert external not in page
    assert page.count('class="req"') == len(annex.requirements) == 4
    assert "<code>MLC101</code>" in page
    assert "For the supplier (name, date)" in page


def test_interactive_questions_leave_blank_unanswered(standard) -> None:
    replies = iter(["yes", "", "maybe", "n"] + ["no"] * 20)
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return next(replies)

    answers = ask(standard, prompt, preset={"personal_data": "yes"})
    scope = decide_scope(standard, answers)
    by_question = {a.question: a.answer for a in scope.answers}
    assert by_question["personal_data"] is Answer.YES
    assert by_question["on_device"] is Answer.YES  # first question asked
    assert by_question["exposes_api"] is Answer.UNANSWERED  # blank
    assert by_question["federated_learning"] is Answer.NO  # "maybe" is asked again
    assert not any("personal data" in q for q in asked)


def test_cli_writes_every_format_from_an_answers_file(tmp_path, capsys) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "buyer: Example Bank plc\ncontract: EB-2026-117\nlevel: L2\n"
        "scope:\n  exposes_api: yes\n  llm: no\n"
        'parameters:\n  "M6.2.1.epsilon": 0.031373\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    argv = ["procurement", "--answers", str(answers), "--today", "2026-12-02"]
    for fmt, name in (
        ("json", "annex.json"),
        ("markdown", "annex.md"),
        ("html", "annex.html"),
        ("response-csv", "response.csv"),
        ("response-json", "response.json"),
        ("profile", "profile.yaml"),
        ("oscal-profile", "profile.oscal.json"),
    ):
        argv += ["-f", f"{fmt}:{out / name}"]
    assert main(argv) == 0
    annex = load_annex(out / "annex.json")
    assert annex.level is Level.L2 and annex.parties.contract == "EB-2026-117"
    assert {"M8.1.1", "M8.2.1", "M8.6.1"} <= {r.id for r in annex.requirements}
    assert (out / "annex.md").read_text().startswith("# Annex: ML security requirements")
    assert "M6.2.1.epsilon: 0.031373" in (out / "profile.yaml").read_text()
    err = capsys.readouterr().err
    assert err.count("mlsvs: wrote ") == 7
    assert main(["procurement", "--answers", str(tmp_path / "nope.yaml")]) == 2
    assert "answers file not found" in capsys.readouterr().err
    assert main(["procurement", "--catalog", str(VALID)]) == 2
    assert "no level: give --level" in capsys.readouterr().err


def test_unknown_chapter_is_a_usage_error(standard, checks) -> None:
    with pytest.raises(UsageError, match="unknown chapter 'M99'"):
        build_annex(
            standard,
            Level.L1,
            decide_scope(standard, {}),
            checks,
            chapters=frozenset({"M99"}),
            issued=ISSUED,
        )


def test_cli_interactive_asks_what_the_answers_file_leaves_open(
    tmp_path, capsys, monkeypatch
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"level": "L1", "scope": {"llm": "no"}}), encoding="utf-8")
    standard = load_standard("1.1.0")
    replies = ["no"] * (len(standard.tags) - 1)
    replies[[t.id for t in standard.tags if t.id != "genai"].index("exposes_inference_api")] = "y"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(replies) + "\n"))
    out = tmp_path / "annex.json"
    argv = ["procurement", "--answers", str(answers), "--interactive", "-f", f"json:{out}"]
    assert main(argv) == 0
    prompts = capsys.readouterr().err
    assert "Can the model be queried over a network" in prompts
    assert "generative model" not in prompts  # answered in the file
    annex = load_annex(out)
    assert {a.tag: a.answer for a in annex.scope}["exposes_inference_api"] is Answer.YES
    assert not [a for a in annex.scope if a.answer is Answer.UNANSWERED]
    assert "M8.1.1" in {r.id for r in annex.requirements}
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(argv) == 2
    assert "standard input ended" in capsys.readouterr().err


def test_the_bundled_example_answers_build_an_annex(tmp_path) -> None:
    answers = ROOT / "examples" / "procurement" / "answers.yaml"
    out = tmp_path / "annex.json"
    assert main(["procurement", "--answers", str(answers), "-f", f"json:{out}"]) == 0
    annex = load_annex(out)
    assert annex.level is Level.L2 and not [a for a in annex.scope if a.answer is Answer.UNANSWERED]
    assert annex.parameter("M6.2.1.epsilon").set_by == "buyer"
    assert {"M8.1.1", "M8.2.1", "M8.6.1"} <= {r.id for r in annex.requirements}
