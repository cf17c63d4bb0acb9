from __future__ import annotations

import dataclasses
import io
from pathlib import Path
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
    for rid, verdict in (("M4.2.1", "not_applicable"), ("M5.2.2", "waived")):
        skipped = cases[rid].find("skipped")
        assert skipped is not None and skipped.get("message").startswith(verdict)
    # Missing evidence at (or below) the target level is a failure, never a skip.
    missing = cases["M1.2.1"].find("failure")
    assert missing is not None and missing.get("type") == "not_verified"
    assert missing.get("message").startswith("not verified at L2")
    assert cases["M1.2.1"].find("skipped") is None
    # A pass has only its system-out (verdict, basis): no properties inside a test case.
    assert [c.tag for c in cases["M1.1.1"]] == ["system-out"]
    assert "verdict: pass" in cases["M1.1.1"].find("system-out").text
    assert root.find("testcase/properties") is None and not list(root.iter("properties"))
    assert root.get("tests") == "10" and root.get("failures") == "4"
    assert root.get("errors") == "1" and root.get("skipped") is None  # the XSD has no such field
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


def test_valid_against_jenkins_junit_xsd(assessment, passing):
    import xmlschema

    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "schemas" / "junit-10.xsd"))
    for a in (assessment, passing):
        out = io.StringIO()
        JunitRenderer().render(a, out)
        errors = list(schema.iter_errors(out.getvalue()))
        assert errors == [], errors[:3]
    broken = ET.Element("testsuites", skipped="3")  # the shape the old writer produced
    ET.SubElement(ET.SubElement(broken, "testsuite", name="M1"), "testcase", name="x")
    assert list(schema.iter_errors(ET.tostring(broken, encoding="unicode")))
