"""JUnit XML from a findings report, valid against Jenkins' ``junit-10.xsd``.

One ``testsuite`` (the command), one ``testcase`` per target: a clean target passes; a
target with findings FAILS (``<failure>``, one line per finding); a target whose content
could not be verified fails too (``type="not_verified"``): a coverage gap is missing evidence,
never a skip. An ERROR finding is an ``<error>``. Suppressed findings are listed in
``system-out`` and do not fail the case. The XSD allows no ``properties`` inside a test case
and no ``skipped`` count on ``testsuites``; both are avoided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from mlsvs.output.report import FindingKind
from mlsvs.output.xmltext import xml_text

if TYPE_CHECKING:
    from mlsvs.output.report import FindingsReport, ReportFinding


def _line(f: ReportFinding) -> str:
    return xml_text(
        f"{f.rule} [{f.severity.value}] {f.location.display()}: {f.message}", limit=2000
    )


def junit_element(report: FindingsReport) -> ET.Element:
    """The ``<testsuites>`` element."""
    by_target: dict[str, list[ReportFinding]] = {t: [] for t in report.targets}
    for f in report.findings:
        by_target.setdefault(f.location.path, []).append(f)
    noted: dict[str, list[str]] = {}
    for n in report.notes:
        if n.path is not None:
            noted.setdefault(n.path, []).append(n.message)
            by_target.setdefault(n.path, [])
    name = f"mlsvs {report.command}"
    root = ET.Element("testsuites", name=name)
    suite = ET.SubElement(root, "testsuite", name=name)
    failures = errors = 0
    for target, found in by_target.items():
        case = ET.SubElement(
            suite, "testcase", name=xml_text(target or "."), classname=f"mlsvs.{report.command}"
        )
        active = [f for f in found if not f.suppressed_by]
        errored = [f for f in active if f.kind is FindingKind.ERROR]
        failing = [f for f in active if f.kind is FindingKind.FAIL]
        gaps = [f for f in active if f.kind is FindingKind.NOT_VERIFIED]
        notes = noted.get(target, [])
        if errored:
            errors += 1
            el = ET.SubElement(case, "error", type="error", message=_line(errored[0]))
            el.text = "\n".join(_line(f) for f in errored + failing + gaps)
        elif failing or gaps or notes:
            failures += 1
            kind = "fail" if failing else "not_verified"
            first = _line((failing or gaps)[0]) if failing or gaps else xml_text(notes[0])
            el = ET.SubElement(case, "failure", type=kind, message=first)
            el.text = "\n".join([_line(f) for f in failing + gaps] + [xml_text(n) for n in notes])
        accepted = [f for f in found if f.suppressed_by]
        if accepted:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                xml_text(f"accepted by {f.suppressed_by}: ") + _line(f) for f in accepted
            )
    general = [n.message for n in report.notes if n.path is None]
    if general:
        ET.SubElement(suite, "system-err").text = "\n".join(xml_text(m) for m in general)
    tests = len(by_target)
    for el in (suite, root):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
    return root


def junit_text(report: FindingsReport) -> str:
    """The JUnit XML document."""
    return element_text(junit_element(report))


def element_text(root: ET.Element) -> str:
    """An element tree as an indented XML 1.0 document."""
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
