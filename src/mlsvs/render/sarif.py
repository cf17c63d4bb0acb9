"""SARIF 2.1.0 for code-scanning dashboards, written as plain dicts.

* One ``rule`` per check; one ``result`` per FAIL or ERROR finding (passes are not results).
* FAIL: ``level`` from severity (critical/high ``error``, medium ``warning``, low/info
  ``note``). ERROR (the check could not decide, which blocks the level like a failure):
  ``level: error`` with ``properties.status = "error"`` and the message prefixed
  ``could not decide:``, so dashboards show it instead of hiding it as ``kind: review``.
* Waived failures carry ``suppressions`` (``kind: external``, ``status: accepted``).
* Every rule has a ``helpUri`` into docs/checks/, every taxon into docs/requirements/; a
  project-level finding is attached to the project's configuration file (``mlsvs.toml``),
  so code-scanning dashboards can show it on a file.
* Written by the shared SARIF writer (:mod:`mlsvs.output.sarif`): the same locations and
  fingerprints as every other command.
* The MLSVS catalog is a ``taxonomy`` (toolComponent ``MLSVS``); rules and results point at
  its taxa (requirement IDs) through ``relationships`` and ``taxa``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mlsvs.model.catalog import id_sort_key
from mlsvs.model.result import Severity, Status
from mlsvs.output.docs import check_uri, requirement_uri
from mlsvs.output.report import (
    FINGERPRINT_KEY,
    FindingKind,
    FindingsReport,
    Note,
    ReportFinding,
    ReportLocation,
    ReportRule,
)
from mlsvs.output.sarif import INFO_URI, SARIF_SCHEMA, artifact_uri, dump
from mlsvs.output.sarif import sarif_log as output_sarif_log
from mlsvs.render.text import VERDICT_LABELS, clean, problem_findings

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from mlsvs.model.assessment import Assessment, CheckRecord
    from mlsvs.model.result import Finding

TAXONOMY = "MLSVS"
FINGERPRINT = FINGERPRINT_KEY
__all__ = ["FINGERPRINT", "SARIF_SCHEMA", "SarifRenderer", "artifact_uri", "sarif_log"]


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError:
        return Severity.MEDIUM


class SarifRenderer:
    """Registered as ``sarif``; ``requirement_titles`` names the taxa when supplied."""

    name: ClassVar[str] = "sarif"
    suffix: ClassVar[str] = ".sarif"
    binary: ClassVar[bool] = False

    def __init__(self, *, requirement_titles: Mapping[str, str] | None = None) -> None:
        self.requirement_titles = dict(requirement_titles or {})

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the SARIF log."""
        out.write(dump(sarif_log(assessment, requirement_titles=self.requirement_titles)))


def project_file(a: Assessment) -> str:
    """The file a project-level finding is attached to: the configuration that declares the
    project (``mlsvs.toml``, ``pyproject.toml``), else its README, else ``.``."""
    paths = {r.path: r for r in a.artifacts}
    for name in ("mlsvs.toml", "pyproject.toml", ".mlsvs.toml"):
        if name in paths:
            return name
    readme = sorted(p for p in paths if "/" not in p and p.lower().startswith("readme"))
    return readme[0] if readme else "."


def _report_rule(cid: str, check: CheckRecord | None, findings: list[Finding]) -> ReportRule:
    if check is None:  # a finding whose check is not in the check list (old results)
        related = [f for f in findings if f.check == cid]
        requirements: tuple[str, ...] = tuple(sorted({r for f in related for r in f.requirements}))
        severity = max((f.severity for f in related), key=lambda s: s.rank)
        title, description, remediation = cid, "", ""
    else:
        requirements = check.requirements
        severity = _severity(check.severity)
        title = clean(check.title) or cid
        description, remediation = clean(check.description), clean(check.remediation)
    reqs = tuple(sorted(set(requirements), key=lambda r: (id_sort_key(r), r)))
    return ReportRule(
        id=clean(cid),
        title=title,
        severity=severity,
        description=description,
        remediation=remediation,
        help_uri=check_uri(cid, title if check is not None else ""),
        requirements=reqs,
    )


def _report_finding(f: Finding, project: str) -> ReportFinding:
    loc = f.location
    path = f.target.path if f.target.path not in {"", "."} else project
    return ReportFinding(
        id=f.id,
        rule=clean(f.check),
        kind=FindingKind.ERROR if f.status is Status.ERROR else FindingKind.FAIL,
        severity=f.severity,
        message=clean(f.message),
        location=ReportLocation(
            path=path,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            offset=loc.offset if loc else None,
            member=loc.member if loc else None,
            pointer=(loc.pointer if loc else None)
            or ("project" if f.target.path in {"", "."} else None),
        ),
        requirements=f.requirements,
        facts=tuple((clean(k), clean(v)) for k, v in f.facts),
        suppressed_by=f"waiver {clean(f.waiver)} in the mlsvs configuration" if f.waiver else None,
    )


def findings_report(a: Assessment) -> FindingsReport:
    """FAIL and ERROR findings of an assessment as a findings report (every output format
    that is not assessment-specific is written from it: SARIF, GitLab SAST)."""
    checks = {c.id: c for c in a.checks}
    findings = problem_findings(a)
    rule_ids = sorted({*checks, *(f.check for f in findings)})
    rules = tuple(_report_rule(cid, checks.get(cid), findings) for cid in rule_ids)
    project = project_file(a)
    return FindingsReport(
        command="verify",
        tool_version=clean(a.tool.version),
        rules=rules,
        findings=tuple(_report_finding(f, project) for f in findings),
        notes=tuple(
            Note(
                message=clean(p.message) or p.kind.value,
                path=p.path or None,
                code=f"mlsvs/problem/{p.kind.value}",
            )
            for p in sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message))
        ),
        root=a.project.root,
        started_at=a.started_at,
        finished_at=a.finished_at,
        successful=not a.interrupted,
    )


def sarif_log(
    a: Assessment, *, requirement_titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The SARIF log as plain data (written by :func:`mlsvs.output.sarif.sarif_log`)."""
    titles = requirement_titles or {}
    findings = problem_findings(a)
    taxa_ids = sorted(
        {r for c in a.checks for r in c.requirements}
        | {v.requirement for v in a.verdicts}
        | {r for f in findings for r in f.requirements},
        key=lambda r: (id_sort_key(r), r),
    )
    taxon_index = {t: i for i, t in enumerate(taxa_ids)}
    verdicts = {v.requirement: v for v in a.verdicts}
    taxa = []
    for req in taxa_ids:
        v = verdicts.get(req)
        summary = f"{req}: " + (f"{VERDICT_LABELS[v.verdict]} at {v.level}" if v else "no verdict")
        title = clean(titles.get(req, ""))
        taxon: dict[str, Any] = {
            "id": req,
            "name": req,
            "shortDescription": {"text": title or summary},
            "helpUri": requirement_uri(req, title),
        }
        if v is not None:
            taxon["properties"] = {"level": str(v.level), "verdict": v.verdict.value}
        taxa.append(taxon)
    report = findings_report(a)
    rules = report.rules
    rule_extra = {
        r.id: {"relationships": [_relationship(q, taxon_index) for q in r.requirements]}
        for r in rules
    }
    result_extra = {
        f.id: {
            "taxa": [
                {"id": r, "index": taxon_index[r], "toolComponent": {"name": TAXONOMY, "index": 0}}
                for r in f.requirements
                if r in taxon_index
            ],
            **({"rule": clean(f.rule)} if f.rule else {}),
        }
        for f in findings
    }
    log = output_sarif_log(
        report,
        tool_name=clean(a.tool.name),
        rule_extra=rule_extra,
        result_extra=result_extra,
        taxonomies=[
            {
                "name": TAXONOMY,
                "fullName": clean(a.standard.name),
                "version": clean(a.standard.version),
                "organization": "OWASP",
                "informationUri": INFO_URI,
                "isComprehensive": False,
                "shortDescription": {
                    "text": f"{clean(a.standard.name)} {clean(a.standard.version)}"
                },
                "properties": {"key": clean(a.standard.key), "digest": clean(a.standard.digest)},
                "taxa": taxa,
            }
        ],
        run_properties={
            "project": clean(a.project.name),
            "traits": sorted(clean(t) for t in a.project.traits),
            "targetLevel": str(a.target_level),
            "achievedLevel": str(a.achieved_level) if a.achieved_level else None,
            "targetMet": a.target_met,
        },
    )
    for res in log["runs"][0]["results"]:  # the sub-rule goes with the result's properties
        sub = res.pop("rule", None)
        if sub:
            res["properties"]["rule"] = sub
    return log


def _relationship(req: str, taxon_index: Mapping[str, int]) -> dict[str, Any]:
    return {
        "target": {
            "id": req,
            "index": taxon_index[req],
            "toolComponent": {"name": TAXONOMY, "index": 0},
        },
        "kinds": ["relevant"],
    }
