"""pip-audit and osv-scanner JSON reports, accepted as external evidence (MLC423)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from pathlib import Path

_MAX_REPORT = 64 * 1024 * 1024
REPORT_PATTERNS = ("pip-audit*.json", "pip_audit*.json", "osv-scanner*.json", "osv_scanner*.json")
REPORT_DIRS = (".", "reports", "audit", "security", ".ci", "build")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportedVuln:
    """One vulnerable package version named in a report."""

    name: str
    version: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalScanReport:
    """A parsed scanner report."""

    path: str
    tool: str
    """``pip-audit`` or ``osv-scanner``."""
    packages: tuple[tuple[str, str], ...]
    """Every ``(name, version)`` the report covered."""
    vulns: tuple[ReportedVuln, ...]


def find_reports(root: Path, configured: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """Configured report paths, else files matching ``REPORT_PATTERNS`` in ``REPORT_DIRS``."""
    if configured:
        return tuple(root / item for item in configured)
    found: set[Path] = set()
    for folder in REPORT_DIRS:
        base = root / folder
        if base.is_dir():
            for pattern in REPORT_PATTERNS:
                found.update(p for p in base.glob(pattern) if p.is_file())
    return tuple(sorted(found))


def parse_report(path: Path, rel: str) -> ExternalScanReport:
    """Recognise and parse a pip-audit (``-f json``) or osv-scanner (``--format json``) report."""
    try:
        if path.stat().st_size > _MAX_REPORT:
            raise AdvisoryError("report larger than 64 MiB", path=rel)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdvisoryError(f"cannot read report: {exc}", path=rel) from exc
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return _osv_scanner(data["results"], rel)
    if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
        return _pip_audit(data["dependencies"], rel)
    if isinstance(data, list):  # pip-audit < 2.5 wrote a bare list
        return _pip_audit(data, rel)
    raise AdvisoryError("neither a pip-audit nor an osv-scanner JSON report", path=rel)


def _pip_audit(items: list[object], rel: str) -> ExternalScanReport:
    packages: list[tuple[str, str]] = []
    vulns: list[ReportedVuln] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise AdvisoryError("pip-audit entry without a name", path=rel)
        if "skip_reason" in item:
            continue  # pip-audit could not audit it: not evidence either way
        name, version = canonical(item["name"]), str(item.get("version", ""))
        packages.append((name, version))
        ids = [str(v.get("id")) for v in item.get("vulns") or () if isinstance(v, dict)]
        if ids:
            vulns.append(ReportedVuln(name=name, version=version, ids=tuple(sorted(ids))))
    return ExternalScanReport(
        path=rel, tool="pip-audit", packages=tuple(sorted(packages)), vulns=tuple(vulns)
    )


def _osv_scanner(results: list[object], rel: str) -> ExternalScanReport:
    packages: set[tuple[str, str]] = set()
    vulns: list[ReportedVuln] = []
    for result in results:
        entries = result.get("packages") if isinstance(result, dict) else None
        for entry in entries or ():
            package = entry.get("package") if isinstance(entry, dict) else None
            if not isinstance(package, dict) or not isinstance(package.get("name"), str):
                raise AdvisoryError("osv-scanner package without a name", path=rel)
            if package.get("ecosystem") not in {None, "PyPI"}:
                continue
            name, version = canonical(package["name"]), str(package.get("version", ""))
            packages.add((name, version))
            ids = [
                str(v.get("id")) for v in entry.get("vulnerabilities") or () if isinstance(v, dict)
            ]
            if ids:
                vulns.append(ReportedVuln(name=name, version=version, ids=tuple(sorted(ids))))
    return ExternalScanReport(
        path=rel, tool="osv-scanner", packages=tuple(sorted(packages)), vulns=tuple(vulns)
    )
