from __future__ import annotations

import dataclasses
import io
from xml.etree import ElementTree as ET

from mlsvs.render.junit import JunitRenderer


def _parse(a) -> ET.Element:
    out = io.StringIO()
    JunitRenderer().render(a, out)
    text = out.getvalue()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.split("\n", 1)[1])  # noqa: S314 - our own output


def test_suites_per_chapter_and_cases_per_requirement(assessment):
    root = _parse(assessment)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["M1", "M2", "M4", "M5", "M7", "M10"]
    cases = {c.get("name").split()[0]: c for c in root.iter("testcase")}
    assert len(cases) == len(assessment.verdicts)
    assert cases["M4.1.1"].find("failure") is not None
    assert cases["M2.1.1"].find("error") is not None
    for rid, verdict in (
        ("M4.2.1", "not_applicable"),
        ("M1.2.1", "not_verified"),
        ("M5.2.2", "waived"),
    ):
        skipped = cases[rid].find("skipped")
        assert skipped is not None and skipped.get("message").startswith(verdict)
    assert list(cases["M1.1.1"]) == [cases["M1.1.1"].find("properties")]  # a pass
    assert root.get("tests") == "10" and root.get("failures") == "3"
    assert root.get("errors") == "1" and root.get("skipped") == "3"
    m4 = suites[2]
    assert (m4.get("tests"), m4.get("failures"), m4.get("skipped")) == ("2", "1", "1")


def test_failure_text_lists_findings_and_hostile_text_stays_text(assessment):
    root = _parse(assessment)
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("M4.1.1"))
    failure = case.find("failure")
    assert "models/evil<1>.pkl (archive/data.pkl @ 0x1f)" in failure.text
    assert "<script>alert('x')</script>" in failure.text  # escaped on the way, text again here
    assert "\x1b" not in failure.text


def test_characters_xml_cannot_carry_are_removed(assessment):
    v = dataclasses.replace(assessment.verdicts[3], reasons=("bad \x00\x01\ufffe\x1b[2J byte",))
    a = dataclasses.replace(
        assessment, verdicts=(*assessment.verdicts[:3], v, *assessment.verdicts[4:])
    )
    root = _parse(a)
    case = next(c for c in root.iter("testcase") if c.get("name").startswith("M4.1.1"))
    assert case.find("failure").get("message") == "bad  byte"
