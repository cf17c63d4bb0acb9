"""External evidence for M3.2.3: pip-audit / osv-scanner JSON reports kept in the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import Project, Severity, abstained, check, errored, failed
from mlsvs.supply.errors import AdvisoryError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


def _configured(ctx: CheckContext) -> tuple[str, ...]:
    reports = ctx.section("advisories").get("reports", [])
    if isinstance(reports, str):
        reports = [reports]
    if not isinstance(reports, list) or not all(isinstance(r, str) for r in reports):
        raise AdvisoryError("[advisories] reports must be a list of paths")
    return tuple(str(r) for r in reports)


@check(
    id="MLC423",
    title="Dependency scanner reports (pip-audit, osv-scanner) list no vulnerabilities",
    requirements=["M3.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Fix the reported packages and re-run the scanner; keep the report current "
    "with the lock file (pip-audit -f json -o pip-audit.json).",
)
def scanner_reports_clean(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Read configured or conventionally named reports; fail on findings or stale versions."""
    import hashlib

    from mlsvs.supply.manifests import parse_project
    from mlsvs.supply.reports import find_reports, parse_report

    try:
        paths = find_reports(project.root, _configured(ctx))
    except AdvisoryError as exc:
        yield errored(relative(exc.diagnostics(), project.root))
        return
    if not paths:
        yield abstained("no pip-audit or osv-scanner JSON report in the project")
        return
    pinned = {(d.name, d.version) for d in parse_project(project).dependencies if d.version}
    pinned_names = {name for name, _ in pinned}
    for path in paths:
        rel = (
            path.relative_to(project.root).as_posix()
            if path.is_relative_to(project.root)
            else str(path)
        )
        try:
            report = parse_report(path, rel)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except (AdvisoryError, OSError) as exc:
            message = exc.diagnostics() if isinstance(exc, AdvisoryError) else f"{rel}: {exc}"
            yield errored(relative(message, project.root), key=rel, facts=(("report", rel),))
            continue
        facts = (("report", rel), ("sha256", digest), ("tool", report.tool))
        stale = sorted(
            f"{name} {version}"
            for name, version in report.packages
            if name in pinned_names and (name, version) not in pinned
        )
        if report.vulns:
            listed = ", ".join(
                f"{v.name} {v.version} ({', '.join(v.ids)})" for v in report.vulns[:8]
            )
            yield failed(
                f"{rel}: {report.tool} reports {len(report.vulns)} vulnerable package(s): {listed}",
                key=rel,
                facts=facts,
            )
        elif stale:
            yield failed(
                f"{rel}: report is stale, it audited versions the manifests no longer pin: "
                f"{', '.join(stale[:8])}",
                key=rel,
                facts=facts,
            )
        else:
            # pip-audit and osv-scanner JSON carry no advisory-database date, so a clean report
            # is evidence of nothing current: it can fail a package, never pass one. MLC422
            # (a dated OSV snapshot or the OSV API) decides "no known vulnerability".
            audited = {name for name, _ in report.packages}
            missing = sorted(pinned_names - audited)
            yield abstained(
                f"{rel}: {report.tool} found no vulnerability in {len(report.packages)} "
                "package(s); the report has no database date, so it cannot vouch for the "
                "absence of vulnerabilities (MLC422 does)"
                + (f"; it did not audit {', '.join(missing[:8])}" if missing else ""),
                key=rel,
                facts=facts,
            )
