"""SARIF 2.1.0 for code-scanning dashboards, written as plain dicts.

* One ``rule`` per check; one ``result`` per FAIL or ERROR finding (passes are not results).
* FAIL: ``level`` from severity (critical/high ``error``, medium ``warning``, low/info
  ``note``). ERROR (the check could not decide, which blocks the level like a failure):
  ``level: error`` with ``properties.status = "error"`` and the message prefixed
  ``could not decide:``, so dashboards show it instead of hiding it as ``kind: review``.
* Waived failures carry ``suppressions`` (``kind: external``, ``status: accepted``).
* The MLSVS catalog is a ``taxonomy`` (toolComponent ``MLSVS``); rules and results point at
  its taxa (requirement IDs) through ``relationships`` and ``taxa``.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from mlsvs.model.catalog import id_sort_key
from mlsvs.model.result import Severity, Status
from mlsvs.render.text import VERDICT_LABELS, clean, problem_findings

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from mlsvs.model.assessment import Assessment, CheckRecord
    from mlsvs.model.result import Finding

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TAXONOMY = "MLSVS"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "mlsvs/finding/v1"
INFO_URI = "https://owasp.org/www-project-machine-learning-security-verification-standard/"


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError:
        return Severity.MEDIUM


def artifact_uri(path: str) -> str:
    """A percent-encoded relative URI for a project-relative POSIX path."""
    return quote(str(PurePosixPath(path)), safe="/")


class SarifRenderer:
    """Registered as ``sarif``; ``requirement_titles`` names the taxa when supplied."""

    name: ClassVar[str] = "sarif"
    suffix: ClassVar[str] = ".sarif"
    binary: ClassVar[bool] = False

    def __init__(self, *, requirement_titles: Mapping[str, str] | None = None) -> None:
        self.requirement_titles = dict(requirement_titles or {})

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the SARIF log."""
        log = sarif_log(assessment, requirement_titles=self.requirement_titles)
        out.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")


def sarif_log(
    a: Assessment, *, requirement_titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The SARIF log as plain data."""
    titles = requirement_titles or {}
    checks = {c.id: c for c in a.checks}
    findings = problem_findings(a)
    rule_ids = sorted({*checks, *(f.check for f in findings)})
    taxa_ids = sorted(
        {r for c in a.checks for r in c.requirements}
        | {v.requirement for v in a.verdicts}
        | {r for f in findings for r in f.requirements},
        key=lambda r: (id_sort_key(r), r),
    )
    taxon_index = {t: i for i, t in enumerate(taxa_ids)}
    rule_index = {r: i for i, r in enumerate(rule_ids)}
    verdicts = {v.requirement: v for v in a.verdicts}
    taxa = []
    for req in taxa_ids:
        v = verdicts.get(req)
        summary = f"{req}: " + (f"{VERDICT_LABELS[v.verdict]} at {v.level}" if v else "no verdict")
        taxon: dict[str, Any] = {
            "id": req,
            "name": req,
            "shortDescription": {"text": clean(titles.get(req, "")) or summary},
        }
        if v is not None:
            taxon["properties"] = {"level": str(v.level), "verdict": v.verdict.value}
        taxa.append(taxon)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": clean(a.tool.name),
                "version": clean(a.tool.version),
                "informationUri": INFO_URI,
                "rules": [_rule(cid, checks.get(cid), findings, taxon_index) for cid in rule_ids],
                "supportedTaxonomies": [{"name": TAXONOMY, "index": 0}],
            }
        },
        "taxonomies": [
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
        "originalUriBaseIds": {SRCROOT: _srcroot(a.project.root)},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index, taxon_index) for f in findings],
        "invocations": [_invocation(a)],
        "properties": {
            "project": clean(a.project.name),
            "traits": sorted(clean(t) for t in a.project.traits),
            "targetLevel": str(a.target_level),
            "achievedLevel": str(a.achieved_level) if a.achieved_level else None,
            "targetMet": a.target_met,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _srcroot(root: str) -> dict[str, Any]:
    description = {"text": "The root of the verified project."}
    path = PurePosixPath(root.replace("\\", "/"))
    if path.is_absolute():
        return {"uri": path.as_uri().rstrip("/") + "/", "description": description}
    return {"description": description}


def _relationship(req: str, taxon_index: Mapping[str, int]) -> dict[str, Any]:
    return {
        "target": {
            "id": req,
            "index": taxon_index[req],
            "toolComponent": {"name": TAXONOMY, "index": 0},
        },
        "kinds": ["relevant"],
    }


def _rule(
    cid: str, check: CheckRecord | None, findings: list[Finding], taxon_index: Mapping[str, int]
) -> dict[str, Any]:
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
    reqs = sorted(set(requirements), key=lambda r: (id_sort_key(r), r))
    help_text = remediation or f"See the MLSVS requirements {', '.join(reqs)}."
    return {
        "id": clean(cid),
        "name": title,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description or title},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": severity.sarif_level},
        "properties": {
            "tags": ["security", "mlsvs", *reqs],
            "security-severity": severity.security_score,
            "severity": severity.value,
        },
        "relationships": [_relationship(r, taxon_index) for r in reqs],
    }


def _result(
    f: Finding, rule_index: Mapping[str, int], taxon_index: Mapping[str, int]
) -> dict[str, Any]:
    error = f.status is Status.ERROR
    message = clean(f.message) or "(no message)"
    region: dict[str, Any] = {}
    loc = f.location
    if loc is not None and loc.line is not None and loc.line >= 1:
        region["startLine"] = loc.line
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = loc.column
    elif loc is not None and loc.offset is not None and loc.offset >= 0:
        region["byteOffset"] = loc.offset
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(f.target.path), "uriBaseId": SRCROOT}
    }
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc is not None and (loc.member or loc.pointer):
        location["logicalLocations"] = [
            {"fullyQualifiedName": clean(loc.describe()), "kind": "member"}
        ]
    result: dict[str, Any] = {
        "ruleId": clean(f.check),
        "ruleIndex": rule_index[f.check],
        "kind": "fail",
        "level": "error" if error else f.severity.sarif_level,
        "message": {"text": f"could not decide: {message}" if error else message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: f.id},
        "taxa": [
            {"id": r, "index": taxon_index[r], "toolComponent": {"name": TAXONOMY, "index": 0}}
            for r in f.requirements
            if r in taxon_index
        ],
        "properties": {
            "status": f.status.value,
            "severity": f.severity.value,
            "requirements": list(f.requirements),
            **({"rule": clean(f.rule)} if f.rule else {}),
            **({"facts": {clean(k): clean(v) for k, v in f.facts}} if f.facts else {}),
        },
    }
    if f.waiver:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"accepted by waiver {clean(f.waiver)} in the mlsvs configuration",
                "properties": {"waiver": clean(f.waiver)},
            }
        ]
    return result


def _invocation(a: Assessment) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not a.interrupted}
    if a.started_at:
        invocation["startTimeUtc"] = a.started_at
    if a.finished_at:
        invocation["endTimeUtc"] = a.finished_at
    notes = []
    for p in sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message)):
        note: dict[str, Any] = {
            "level": "warning",
            "message": {"text": clean(p.message) or p.kind.value},
            "descriptor": {"id": f"mlsvs/problem/{p.kind.value}"},
        }
        if p.path:
            note["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(p.path), "uriBaseId": SRCROOT}
                    }
                }
            ]
        notes.append(note)
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation
