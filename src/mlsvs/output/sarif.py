"""SARIF 2.1.0 from a findings report: the one SARIF writer of mlsvs.

* one ``rule`` per report rule, with ``helpUri`` into the generated docs and GitHub's
  ``security-severity``; one ``result`` per finding with a file-level physical location
  (``%SRCROOT%``-relative) and a region for lines, or for byte offsets in binary artifacts;
  archive members and names inside an artifact are ``logicalLocations``;
* ``partialFingerprints`` under the single key :data:`FINGERPRINT_KEY`;
* ERROR: ``level: error``, message prefixed ``could not decide:``; NOT_VERIFIED: ``level:
  warning``, prefixed ``not verified:`` (a gap is never hidden as ``kind: pass``);
* suppressed findings carry ``suppressions`` (``kind: external``, ``status: accepted``);
* notes become ``toolExecutionNotifications``.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mlsvs.output.docs import docs_url
from mlsvs.output.report import FINGERPRINT_KEY, FindingKind
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlsvs.output.report import FindingsReport, ReportFinding, ReportRule

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
INFO_URI = "https://owasp.org/www-project-machine-learning-security-verification-standard/"
_PREFIX = {FindingKind.ERROR: "could not decide: ", FindingKind.NOT_VERIFIED: "not verified: "}


def artifact_uri(path: str) -> str:
    """A percent-encoded relative URI for a project-relative POSIX path."""
    return quote(str(PurePosixPath(path.replace("\\", "/"))), safe="/")


def artifact_location(path: str) -> dict[str, Any]:
    """``artifactLocation``: relative to ``%SRCROOT%``, or a file URI for an absolute path."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return {"uri": posix.as_uri()}
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def _text(value: str, limit: int = 4000) -> str:
    return one_line(value, limit) if value else ""


def rule_descriptor(rule: ReportRule, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``reportingDescriptor`` of one rule."""
    title = _text(rule.title) or rule.id
    tags = ["security", "mlsvs", *rule.tags, *rule.requirements]
    if rule.cwe:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    help_text = _text(rule.remediation) or (
        f"See the MLSVS requirements {', '.join(rule.requirements)}."
        if rule.requirements
        else title
    )
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": title,
        "shortDescription": {"text": title},
        "fullDescription": {"text": _text(rule.description) or title},
        "help": {"text": help_text},
        "helpUri": rule.help_uri or docs_url(),
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {
            "tags": list(dict.fromkeys(tags)),
            "security-severity": rule.severity.security_score,
            "severity": rule.severity.value,
            "requirements": list(rule.requirements),
        },
    }
    if extra:
        descriptor.update(extra)
    return descriptor


def physical_location(f: ReportFinding) -> dict[str, Any]:
    """The file, and a region for lines (text) or byte offsets (binary artifacts)."""
    loc = f.location
    physical: dict[str, Any] = {"artifactLocation": artifact_location(loc.path)}
    region: dict[str, Any] = {}
    if loc.line is not None and loc.line >= 1:
        region["startLine"] = loc.line
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = loc.column
        if loc.end_line is not None and loc.end_line >= loc.line:
            region["endLine"] = loc.end_line
    elif loc.offset is not None and loc.offset >= 0 and loc.member is None:
        region["byteOffset"] = loc.offset
    if region:
        physical["region"] = region
    return physical


def result(
    f: ReportFinding, rule_index: Mapping[str, int], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One SARIF ``result``."""
    location: dict[str, Any] = {"physicalLocation": physical_location(f)}
    logical = []
    if f.location.member:
        name = f.location.member
        if f.location.offset is not None:
            name += f"@{f.location.offset:#x}"
        logical.append({"fullyQualifiedName": _text(name, 1000), "kind": "member"})
    if f.location.pointer:
        logical.append({"fullyQualifiedName": _text(f.location.pointer, 1000), "kind": "object"})
    if f.location.cell is not None:
        logical.append({"fullyQualifiedName": f"cell {f.location.cell}", "kind": "module"})
    if logical:
        location["logicalLocations"] = logical
    message = _text(f.message) or "(no message)"
    level = f.severity.sarif_level
    if f.kind is FindingKind.ERROR:
        level = "error"
    elif f.kind is FindingKind.NOT_VERIFIED:
        level = "warning"
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "kind": "fail",
        "level": level,
        "message": {"text": _PREFIX.get(f.kind, "") + message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.id},
        "properties": {
            "status": f.kind.value,
            "severity": f.severity.value,
            "requirements": list(f.requirements),
            **({"facts": {_text(k, 200): _text(v) for k, v in f.facts}} if f.facts else {}),
        },
    }
    if f.rule in rule_index:
        out["ruleIndex"] = rule_index[f.rule]
    if f.package is not None:
        out["properties"]["package"] = {
            "name": f.package.name,
            "version": f.package.version,
            "advisories": list(f.package.advisories),
            "fixed": list(f.package.fixed),
        }
    if f.suppressed_by:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"accepted by {_text(f.suppressed_by, 300)}",
            }
        ]
    if extra:
        out.update(extra)
    return out


def srcroot(root: str) -> dict[str, Any]:
    """``originalUriBaseIds[%SRCROOT%]``: the project root as a file URI when absolute."""
    description = {"text": "The root of the scanned project."}
    path = PurePosixPath(root.replace("\\", "/")) if root else None
    if path is not None and path.is_absolute():
        return {"uri": path.as_uri().rstrip("/") + "/", "description": description}
    return {"description": description}


def sarif_log(
    report: FindingsReport,
    *,
    rule_extra: Mapping[str, Mapping[str, Any]] | None = None,
    result_extra: Mapping[str, Mapping[str, Any]] | None = None,
    taxonomies: list[dict[str, Any]] | None = None,
    run_properties: Mapping[str, Any] | None = None,
    tool_name: str = "mlsvs",
) -> dict[str, Any]:
    """The SARIF log (plain data); ``*_extra`` add keys by rule ID / finding ID."""
    rule_index = {r.id: i for i, r in enumerate(report.rules)}
    rules = [rule_descriptor(r, (rule_extra or {}).get(r.id)) for r in report.rules]
    results = [result(f, rule_index, (result_extra or {}).get(f.id)) for f in report.findings]
    invocation: dict[str, Any] = {"executionSuccessful": report.successful}
    if report.started_at:
        invocation["startTimeUtc"] = report.started_at
    if report.finished_at:
        invocation["endTimeUtc"] = report.finished_at
    notes = []
    for n in report.notes:
        note: dict[str, Any] = {
            "level": "error" if n.level is FindingKind.ERROR else "warning",
            "message": {"text": _text(n.message) or "(no message)"},
        }
        if n.path:
            note["locations"] = [
                {"physicalLocation": {"artifactLocation": artifact_location(n.path)}}
            ]
        notes.append(note)
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": tool_name,
                "version": report.tool_version,
                "informationUri": INFO_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"mlsvs/{report.command}/"},
        "originalUriBaseIds": {SRCROOT: srcroot(report.root)},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [invocation],
    }
    if report.targets:
        run["artifacts"] = [
            {"location": artifact_location(t)} for t in dict.fromkeys(report.targets)
        ]
    if taxonomies:
        run["taxonomies"] = taxonomies
        run["tool"]["driver"]["supportedTaxonomies"] = [
            {"name": t["name"], "index": i} for i, t in enumerate(taxonomies)
        ]
    props = dict(report.properties)
    if run_properties:
        props.update(run_properties)
    if props:
        run["properties"] = props
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def sarif_text(report: FindingsReport) -> str:
    """The SARIF log as JSON text."""
    return dump(sarif_log(report))


def dump(log: Mapping[str, Any]) -> str:
    """A SARIF log as indented JSON text."""
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
