"""JUnit XML for CI test tabs: one ``testsuite`` per chapter, one ``testcase`` per requirement.

Valid against Jenkins' ``junit-10.xsd`` (the schema the xUnit plugin and most CI dashboards
follow): no ``properties`` inside a test case (verdict, basis and attestation go to the case's
``system-out``) and no ``skipped`` count on ``testsuites``.

FAIL -> ``<failure type="fail">``; ERROR -> ``<error>``; NOT_VERIFIED at or below the target
level -> ``<failure type="not_verified">``: missing evidence blocks the level, so it must not
look harmless on a dashboard. NOT_APPLICABLE, WAIVED and requirements above the target level
that are not verified -> ``<skipped>``; PASS -> a passing case. Written with ``xml.etree``;
characters that XML 1.0 cannot carry are removed before they reach the tree.
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
            reason = x(v.reasons[0]) if v.reasons else v.verdict.value
            required = v.level <= a.target_level
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
                case Verdict.NOT_VERIFIED if required:
                    counts["failures"] += 1
                    ET.SubElement(
                        case,
                        "failure",
                        message=f"not verified at {a.target_level}: {reason}",
                        type="not_verified",
                    ).text = _details(v, findings)
                case Verdict.NOT_APPLICABLE | Verdict.NOT_VERIFIED | Verdict.WAIVED:
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=f"{v.verdict.value}: {reason}")
                case Verdict.PASS:
                    pass
            out = [f"verdict: {v.verdict.value}", f"basis: {v.basis.value}", f"level: {v.level}"]
            if v.attestation:
                out.append(f"attestation: {x(v.attestation)}")
            ET.SubElement(case, "system-out").text = "\n".join(out)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    return root
