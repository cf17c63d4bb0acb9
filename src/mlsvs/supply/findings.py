"""A dependency audit as a findings report (SARIF, JUnit, Markdown, GitLab: mlsvs.output).

One finding per vulnerable package version (rule DEP001, the advisory IDs and fixed versions
attached), per manifest with unpinned (DEP002) or unhashed (DEP003) dependencies, and per
package or manifest entry that could not be verified (DEP004: no current advisory data, no
exact version, unreadable entry, failed online lookup) — a gap is reported, never dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Severity
from mlsvs.output.docs import page
from mlsvs.output.report import (
    FindingKind,
    FindingsReport,
    Note,
    Package,
    ReportFinding,
    ReportLocation,
    ReportRule,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.supply.audit import AuditResult
    from mlsvs.supply.deps import ParsedManifest
    from mlsvs.supply.manifests import ManifestSet

_DOCS = page("supply-chain.md", "Checks")
RULES = (
    ReportRule(
        id="DEP001",
        title="Dependency version with a known vulnerability",
        severity=Severity.HIGH,
        remediation="Upgrade to a fixed version (see the advisory) and re-lock.",
        requirements=("M3.2.3",),
        help_uri=_DOCS,
        cwe=1395,
        tags=("dependencies",),
    ),
    ReportRule(
        id="DEP002",
        title="Dependency not pinned to an exact version",
        severity=Severity.MEDIUM,
        remediation="Pin every dependency (==) or commit a lock file that pins it.",
        requirements=("M3.2.1",),
        help_uri=_DOCS,
        tags=("dependencies",),
    ),
    ReportRule(
        id="DEP003",
        title="Dependency installed without a content hash",
        severity=Severity.MEDIUM,
        remediation="Record hashes (pip-compile --generate-hashes, uv lock, poetry lock).",
        requirements=("M3.2.2",),
        help_uri=_DOCS,
        tags=("dependencies",),
    ),
    ReportRule(
        id="DEP004",
        title="Dependency could not be verified against advisory data",
        severity=Severity.MEDIUM,
        remediation="Run 'mlsvs advisories update' (or give --osv SNAPSHOT), pin exact versions "
        "and fix the unreadable manifest entries.",
        requirements=("M3.2.3",),
        help_uri=_DOCS,
        tags=("dependencies",),
    ),
)


def _manifest_of(name: str, manifests: Sequence[ParsedManifest]) -> str:
    wanted = name.split(" ", 1)[0].split("==", 1)[0].lower()
    for m in manifests:
        if any(d.name.lower() == wanted for d in m.dependencies):
            return m.path
    return manifests[0].path if manifests else "."


def _source(source: str) -> tuple[str, int | None]:
    """``requirements.txt:12`` -> (``requirements.txt``, 12); a bare path has no line."""
    path, sep, line = source.rpartition(":")
    if sep and line.isdigit() and path:
        return path, int(line)
    return source, None


def deps_findings_report(
    *,
    rows: Sequence[tuple[ParsedManifest, list[str], list[str]]],
    result: AuditResult,
    manifests: ManifestSet,
    failed_online: Sequence[tuple[str, str]],
    version: str,
    root: str = "",
) -> FindingsReport:
    """The audit as a findings report; every manifest read is a target."""
    parsed = manifests.manifests
    findings: list[ReportFinding] = []
    for hit in result.hits:
        path, line = (
            _source(hit.sources[0]) if hit.sources else (_manifest_of(hit.name, parsed), None)
        )
        summaries = "; ".join(f"{a.id}: {a.summary}" for _, a in hit.advisories)
        findings.append(
            ReportFinding.make(
                rule="DEP001",
                kind=FindingKind.FAIL,
                severity=Severity.HIGH,
                message=f"{hit.name} {hit.version} is affected by {', '.join(hit.ids)}"
                + (f" ({summaries})" if summaries else ""),
                location=ReportLocation(path=path, line=line, pointer=f"{hit.name}=={hit.version}"),
                key=",".join(hit.ids),
                requirements=("M3.2.3",),
                package=Package(name=hit.name, version=hit.version, advisories=hit.ids),
            )
        )
    for manifest, loose, bare in rows:
        for rule, names, what in (("DEP002", loose, "not pinned"), ("DEP003", bare, "no hash")):
            if names:
                findings.append(
                    ReportFinding.make(
                        rule=rule,
                        kind=FindingKind.FAIL,
                        severity=Severity.MEDIUM,
                        message=f"{what}: {', '.join(names)}",
                        location=ReportLocation(path=manifest.path),
                        requirements=("M3.2.1",) if rule == "DEP002" else ("M3.2.2",),
                    )
                )
    gaps = [
        *((n, "no current, complete advisory data") for n in result.not_covered),
        *((n, "version set at install time") for n in result.unresolved),
        *((n, "no exact version") for n in result.unknown_version),
        *((n, "version is not PEP 440") for n in result.undecidable),
        *((p, f"OSV API: {reason}") for p, reason in failed_online),
    ]
    findings.extend(
        ReportFinding.make(
            rule="DEP004",
            kind=FindingKind.NOT_VERIFIED,
            severity=Severity.MEDIUM,
            message=f"{name}: {why}",
            location=ReportLocation(path=_manifest_of(name, parsed), pointer=name),
            requirements=("M3.2.3",),
        )
        for name, why in gaps
    )
    findings.extend(
        ReportFinding.make(
            rule="DEP004",
            kind=FindingKind.NOT_VERIFIED,
            severity=Severity.MEDIUM,
            message=f"unreadable entry: {message}",
            location=ReportLocation(path=path, line=line),
            key=message,
            requirements=("M3.2.3",),
        )
        for path, line, message in manifests.problems
    )
    notes = [Note(message=f"stale advisory data: {s}") for s in result.stale]
    notes += [Note(message=m, path=p, level=FindingKind.ERROR) for p, m in manifests.errors]
    return FindingsReport(
        command="deps",
        tool_version=version,
        rules=RULES,
        findings=tuple(findings),
        targets=tuple(m.path for m in parsed),
        notes=tuple(notes),
        root=root,
        successful=not manifests.errors,
        properties=(("checked", str(result.checked)),),
    )
