"""JUnit XML for CI test tabs: one ``testsuite`` per chapter, one ``testcase`` per requirement.

Each test case starts with ``<properties>`` (verdict, basis, attestation), as pytest writes.

FAIL -> ``<failure>``, ERROR -> ``<error>``, NOT_APPLICABLE / NOT_VERIFIED / WAIVED ->
``<skipped message=...>``, PASS -> an empty test case. Written with ``xml.etree``; characters
that XML 1.0 cannot carry are removed before they reach the tree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar
from xml.etree import ElementTree as ET

from mlsvs.model.verdict import Verdict
from mlsvs.render.text import chapter_of, clean, sorted_verdicts

if TYPE_CHECKING:
    from typing import TextIO

    from mlsvs.model.assessment import Assessment
    from mlsvs.model.result import Finding
    from mlsvs.model.verdict import RequirementVerdict

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def x(text: str, *, multiline: bool = False) -> str:
    """Untrusted text made safe for XML 1.0 (escaping itself is done by ElementTree)."""
    return _NOT_XML.sub("", clean(text, multiline=multiline))


class JunitRenderer:
    """Registered as ``junit``."""

    name: ClassVar[str] = "junit"
    suffix: ClassVar[str] = ".xml"
    binary: ClassVar[bool] = False

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the JUnit XML document."""
        tree = ET.ElementTree(junit_tree(assessment))
        ET.indent(tree)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        tree.write(out, encoding="unicode", xml_declaration=False)
        out.write("\n")


def _details(v: RequirementVerdict, findings: dict[str, Finding]) -> str:
    lines = [x(r) for r in v.reasons]
    for fid in v.findings:
        f = findings.get(fid)
        if f is None or f.status.value not in {"fail", "error"}:
            continue
        where = f.target.path + (f" ({f.location.describe()})" if f.location else "")
        waived = f" [waived: {f.waiver}]" if f.waiver else ""
        lines.append(
            x(f"{f.check} {f.status.value} {f.severity.value}{waived}: {where}: {f.message}")
        )
    return "\n".join(lines)


def junit_tree(a: Assessment) -> ET.Element:
    """The ``<testsuites>`` element."""
    findings = {f.id: f for f in a.findings}
    chapters: dict[str, list[RequirementVerdict]] = {}
    for v in sorted_verdicts(a):
        chapters.setdefault(chapter_of(v.requirement), []).append(v)
    root = ET.Element(
        "testsuites", name=x(f"{a.standard.name} {a.standard.version}: {a.project.name}")
    )
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for chapter, verdicts in chapters.items():
        suite = ET.SubElement(root, "testsuite", name=x(chapter))
        counts = {"tests": len(verdicts), "failures": 0, "errors": 0, "skipped": 0}
        for v in verdicts:
            case = ET.SubElement(
                suite,
                "testcase",
                name=x(f"{v.requirement} ({v.level})"),
                classname=x(f"mlsvs.{chapter}"),
            )
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="verdict", value=v.verdict.value)
            ET.SubElement(props, "property", name="basis", value=v.basis.value)
            if v.attestation:
                ET.SubElement(props, "property", name="attestation", value=x(v.attestation))
            reason = x(v.reasons[0]) if v.reasons else v.verdict.value
            match v.verdict:
                case Verdict.FAIL:
                    counts["failures"] += 1
                    ET.SubElement(case, "failure", message=reason, type="fail").text = _details(
                        v, findings
                    )
                case Verdict.ERROR:
                    counts["errors"] += 1
                    ET.SubElement(case, "error", message=reason, type="error").text = _details(
                        v, findings
                    )
                case Verdict.NOT_APPLICABLE | Verdict.NOT_VERIFIED | Verdict.WAIVED:
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=f"{v.verdict.value}: {reason}")
                case Verdict.PASS:
                    pass
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    return root
