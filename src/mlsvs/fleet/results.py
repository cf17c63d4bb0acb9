"""Results: a Parquet dataset partitioned by source, a summary, SARIF, HTML and text."""

from __future__ import annotations

import html
import json
import shutil
from typing import TYPE_CHECKING, Any

from mlsvs.fleet.codec import report_from_json
from mlsvs.scanner.output import file_status

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mlsvs.fleet.run import FleetRun, Row
    from mlsvs.model.result import Severity
    from mlsvs.output.report import FindingsReport
    from mlsvs.scanner.report import ScanReport

WORST = 25
"""Findings listed in the summary's worst-findings table."""


def _partition(source: str) -> str:
    import hashlib

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source)[:60]
    return f"{safe}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"


def reports_of(rows: Sequence[Row]) -> list[ScanReport]:
    """Each row's scan report, named by its URI."""
    return [report_from_json(r.report, r.uri) for r in rows]


def write_dataset(run: FleetRun, directory: Path, minimum: Severity) -> Path:
    """``directory/results/source_id=<name>/part-0.parquet``, replaced whole (idempotent).

    The new dataset is written beside the old one and swapped in by renames, so a reader sees
    the previous run's dataset or this one, and a rerun writes the same rows again.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = directory / "results"
    staging = directory / ".results-new"
    shutil.rmtree(staging, ignore_errors=True)
    by_source: dict[str, list[tuple[Row, ScanReport]]] = {}
    for row, report in zip(run.rows, reports_of(run.rows), strict=True):
        by_source.setdefault(row.source, []).append((row, report))
    for source, pairs in by_source.items():
        worst = [_worst(rep) for _, rep in pairs]
        table = pa.table(
            {
                "source": [source] * len(pairs),
                "uri": [r.uri for r, _ in pairs],
                "kind": [r.kind for r, _ in pairs],
                "size": pa.array([r.size for r, _ in pairs], pa.int64()),
                "fingerprint": [r.fingerprint for r, _ in pairs],
                "key": [r.key for r, _ in pairs],
                "status": [file_status(rep, minimum).value for _, rep in pairs],
                "format": [rep.format.value for _, rep in pairs],
                "findings": pa.array([len(rep.hazards) for _, rep in pairs], pa.int32()),
                "gaps": pa.array([len(rep.gaps) + len(rep.errors) for _, rep in pairs], pa.int32()),
                "worst_severity": [w[0] for w in worst],
                "worst_rule": [w[1] for w in worst],
                "worst_message": [w[2] for w in worst],
                "report": [r.report for r, _ in pairs],
                "cached": [r.cached for r, _ in pairs],
                "bytes_fetched": pa.array([r.fetched for r, _ in pairs], pa.int64()),
                "worker": [r.worker for r, _ in pairs],
                "scanner_version": [run.scanner_version] * len(pairs),
                "policy_version": [run.policy_version] * len(pairs),
            }
        )
        part = staging / f"source_id={_partition(source)}"
        part.mkdir(parents=True)
        pq.write_table(table, part / "part-0.parquet")
    staging.mkdir(parents=True, exist_ok=True)
    old = directory / ".results-old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _worst(report: ScanReport) -> tuple[str, str, str]:
    if not report.findings:
        return ("", "", "")
    top = max(report.findings, key=lambda f: (not f.rule.not_verified, f.severity.rank))
    return (top.severity.value, top.rule.value, top.message[:300])


def summary(run: FleetRun, minimum: Severity) -> dict[str, Any]:
    """Per-source counts, totals, run counters and the worst findings."""
    sources: dict[str, dict[str, int]] = {}
    worst: list[tuple[int, str, str, str, str]] = []
    for row, report in zip(run.rows, reports_of(run.rows), strict=True):
        counts = sources.setdefault(
            row.source,
            {
                "files": 0,
                "clean": 0,
                "findings": 0,
                "not_verified": 0,
                "errors": 0,
                "cached": 0,
                "bytes_stored": 0,
                "bytes_fetched": 0,
            },
        )
        counts["files"] += 1
        status = file_status(report, minimum).value.replace(" ", "_")
        counts[status] += 1
        counts["errors"] += bool(report.errors)
        counts["cached"] += row.cached
        counts["bytes_stored"] += row.size
        counts["bytes_fetched"] += row.fetched
        worst.extend(
            (f.severity.rank, row.uri, f.rule.value, f.severity.value, f.message)
            for f in report.hazards
            if f.severity.rank >= minimum.rank
        )
    worst.sort(key=lambda w: (-w[0], w[1], w[2]))
    totals = {k: sum(c[k] for c in sources.values()) for k in next(iter(sources.values()), {})}
    s = run.stats
    return {
        "tool": "mlsvs fleet scan",
        "scanner_version": run.scanner_version,
        "policy_version": run.policy_version,
        "min_severity": minimum.value,
        "totals": totals,
        "sources": sources,
        "run": {
            "listed": s.listed,
            "listing_errors": s.listing_errors,
            "scanned": s.scanned,
            "cached": s.cached,
            "tasks": s.tasks,
            "failed_tasks": s.failed_tasks,
            "hashed_files": s.hashed_files,
            "bytes_hashed": s.bytes_hashed,
            "bytes_stored": s.bytes_stored,
            "bytes_fetched": s.bytes_fetched,
            "seconds_listing": round(s.seconds_listing, 3),
            "seconds_hashing": round(s.seconds_hashing, 3),
            "seconds_scanning": round(s.seconds_scanning, 3),
            "workers": len(s.workers),
            "peak_worker_rss": s.peak_rss,
        },
        "worst_findings": [
            {"uri": uri, "rule": rule, "severity": sev, "message": msg}
            for _, uri, rule, sev, msg in worst[:WORST]
        ],
    }


def render_json(run: FleetRun, minimum: Severity) -> str:
    """The summary as JSON."""
    return json.dumps(summary(run, minimum), indent=2, sort_keys=False) + "\n"


def findings_report(run: FleetRun, minimum: Severity) -> FindingsReport:
    """The shared findings report (SARIF, JUnit, Markdown, GitLab SAST): the scanner's,
    with object URIs as locations."""
    from dataclasses import replace

    from mlsvs.scanner.output import findings_report as scanner_report

    return replace(scanner_report(reports_of(run.rows), minimum), command="fleet scan")


def render_text(run: FleetRun, minimum: Severity) -> str:
    """A few lines per source plus the worst findings."""
    doc = summary(run, minimum)
    lines = []
    for source, c in doc["sources"].items():
        lines.append(
            f"{source}: {c['files']} files, {c['clean']} clean, {c['findings']} with findings, "
            f"{c['not_verified']} not verified ({c['errors']} errors), {c['cached']} from cache"
        )
    lines.extend(
        f"  {w['severity'].upper():8} {w['rule']} {w['uri']}: {w['message'][:120]}"
        for w in doc["worst_findings"][:10]
    )
    r = doc["run"]
    lines.append(
        f"{r['listed']} objects, {r['scanned']} scanned, {r['cached']} from cache, "
        f"{r['bytes_fetched']:,} of {r['bytes_stored']:,} bytes read, {r['tasks']} tasks"
    )
    return "\n".join(lines) + "\n"


def render_html(run: FleetRun, minimum: Severity) -> str:
    """A self-contained page: per-source counts and the worst findings."""
    doc = summary(run, minimum)
    e = html.escape
    head = (
        "<tr><th>source</th><th>files</th><th>clean</th><th>with findings</th>"
        "<th>not verified</th><th>errors</th><th>cached</th><th>bytes stored</th>"
        "<th>bytes read</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{e(src)}</td><td>{c['files']}</td><td>{c['clean']}</td><td>{c['findings']}</td>"
        f"<td>{c['not_verified']}</td><td>{c['errors']}</td><td>{c['cached']}</td>"
        f"<td>{c['bytes_stored']:,}</td><td>{c['bytes_fetched']:,}</td></tr>"
        for src, c in doc["sources"].items()
    )
    worst = "".join(
        f"<tr><td>{e(w['severity'])}</td><td>{e(w['rule'])}</td><td>{e(w['uri'])}</td>"
        f"<td>{e(w['message'])}</td></tr>"
        for w in doc["worst_findings"]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mlsvs fleet scan</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style></head><body>"
        f"<h1>mlsvs fleet scan</h1><p>scanner {e(doc['scanner_version'])}, policy "
        f"{e(doc['policy_version'])}, findings at or above {e(doc['min_severity'])}</p>"
        f"<h2>Sources</h2><table>{head}{rows}</table>"
        "<h2>Worst findings</h2><table><tr><th>severity</th><th>rule</th><th>object</th>"
        f"<th>message</th></tr>{worst}</table></body></html>\n"
    )


NATIVE = {"json": render_json, "html": render_html, "text": render_text}
"""The fleet's own formats; the findings formats come from ``findings_report``."""
