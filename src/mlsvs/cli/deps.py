"""``mlsvs deps``: audit dependency manifests: exact pins, hashes, known vulnerabilities.

"No known vulnerability" is claimed only when a complete, current database answers for every
pinned package: the cached OSV export (``mlsvs advisories update``, at most ``--max-age`` days
old), a snapshot given with ``--osv``, or the OSV API (``--online --allow network``). The
bundled ML advisories are a floor: they can fail a package, never pass one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from mlsvs.supply.advisories import AdvisoryDatabase, AdvisorySettings
    from mlsvs.supply.audit import AuditResult
    from mlsvs.supply.deps import ParsedManifest
    from mlsvs.supply.manifests import ManifestSet

    Rows = list[tuple[ParsedManifest, list[str], list[str]]]


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="project directory or manifest files"
    )
    parser.add_argument(
        "--osv", type=Path, metavar="SNAPSHOT", help="OSV snapshot (all.zip, directory or JSON)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="ignore the snapshot stored in the cache"
    )
    parser.add_argument(
        "--max-age",
        type=float,
        default=None,
        metavar="DAYS",
        help="oldest advisory data that can vouch for 'no known vulnerability' (default 7)",
    )
    parser.add_argument(
        "--online",
        action="store_true",
        help="ask the OSV API about each pinned package (needs --allow network)",
    )
    parser.add_argument(
        "--osv-api", default=None, metavar="URL", help="OSV API base URL (default api.osv.dev)"
    )
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CAPABILITY",
        help="grant a capability; --online needs 'network'",
    )
    from mlsvs.cli._common import FINDINGS, add_common

    add_common(parser, ("text", "json", *FINDINGS, "gitlab-dependency-scanning"), jobs=1)


def _explicit(path: Path) -> tuple[object, Path]:
    """A manifest named on the command line: its kind from its path, else requirements."""
    from mlsvs.supply.deps import ManifestKind
    from mlsvs.supply.manifests import detect_kind

    kind = detect_kind(path.as_posix())
    if kind is None and path.suffix.lower() in {".txt", ".in"}:
        kind = ManifestKind.REQUIREMENTS
    return kind, path.parent


def _manifests(
    paths: list[Path], config: Path | None = None
) -> tuple[ManifestSet, Path | None, dict[str, object], tuple[str, ...]]:
    """Parse a project directory (configuration applies) or a list of manifest files; also the
    discovery gaps (unread paths) that may hide a manifest."""
    from mlsvs.supply.cliutil import load_project
    from mlsvs.supply.deps import ManifestKind
    from mlsvs.supply.errors import ManifestError
    from mlsvs.supply.manifests import ManifestSet, parse_manifest, parse_project

    if len(paths) == 1 and paths[0].is_dir():
        loaded = load_project(paths[0], config)
        hidden = tuple(
            gap.describe()
            for gap in loaded.project.gaps
            if not gap.could_be or "DependencyManifest" in gap.could_be
        )
        return (
            parse_project(loaded.project),
            paths[0],
            dict(loaded.section("advisories")),
            hidden,
        )
    parsed, errors = [], []
    for path in paths:
        kind, root = _explicit(path)
        try:
            parsed.append(
                parse_manifest(
                    path, root=root, kind=kind if isinstance(kind, ManifestKind) else None
                )
            )
        except ManifestError as exc:
            errors.append((str(path), exc.diagnostics()))
    return ManifestSet(manifests=tuple(parsed), errors=tuple(errors)), None, {}, ()


def _settings(
    args: argparse.Namespace, configured: dict[str, object], root: Path | None
) -> AdvisorySettings:
    from dataclasses import replace

    from mlsvs.errors import UsageError
    from mlsvs.supply.advisories import parse_settings

    settings = parse_settings(configured, root=root)
    if args.osv is not None:
        settings = replace(settings, osv=args.osv)
    if args.no_cache:
        settings = replace(settings, use_cache=False)
    if args.max_age is not None:
        if args.max_age <= 0:
            raise UsageError("--max-age must be a positive number of days")
        settings = replace(settings, max_age_days=args.max_age)
    if args.online:
        settings = replace(settings, online=True)
    if args.osv_api:
        settings = replace(settings, api_url=args.osv_api)
    return settings


def _granted(args: argparse.Namespace) -> set[str]:
    from mlsvs.errors import UsageError
    from mlsvs.model.artifact import Capability

    granted = {c.strip() for value in args.allow for c in value.split(",") if c.strip()}
    unknown = sorted(granted - {c.value for c in Capability})
    if unknown:
        raise UsageError(f"unknown capability {unknown[0]!r} (known: network, model-exec)")
    return granted


def run(args: argparse.Namespace) -> int:
    """0 verified clean; 1 findings or not verified; 2 unreadable input."""
    from mlsvs import __version__
    from mlsvs.cli._common import emit, jobs, output_specs
    from mlsvs.errors import CapabilityError, UsageError
    from mlsvs.supply.advisories import cache_dir, load_databases
    from mlsvs.supply.audit import audit, unhashed, unpinned, versions_in_use
    from mlsvs.supply.findings import deps_findings_report

    specs = output_specs(args)
    jobs(args)  # validated; the audit is one pass over an in-memory index
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: not found")
    granted = _granted(args)
    manifests, root, configured, hidden = _manifests(args.paths, args.config)
    settings = _settings(args, configured, root)
    if settings.online and "network" not in granted:
        raise CapabilityError(
            "online advisory lookup sends package names to the OSV API; add --allow network"
        )
    databases: tuple[AdvisoryDatabase, ...] = load_databases(
        osv=settings.osv,
        cache=cache_dir() if settings.use_cache else None,
        packages=frozenset(d.name for d in manifests.dependencies),
    )
    failed_online: tuple[tuple[str, str], ...] = ()
    for gap in hidden:
        print(f"mlsvs: not read (may hold dependencies): {gap}", file=sys.stderr)
    if settings.online and "network" in granted:
        from mlsvs.supply.online import lookup

        pinned, _ = versions_in_use(manifests.dependencies)
        online = lookup(pinned, api=settings.api_url)
        databases = (*databases, online.database)
        failed_online = online.failed
    locked = manifests.locked()
    rows = [
        (
            m,
            sorted({d.name for d in unpinned(m, locked)}),
            sorted({d.name for d in unhashed(m, locked)}),
        )
        for m in manifests.manifests
    ]
    result = audit(manifests.dependencies, databases, max_age_days=settings.max_age_days)
    problems = manifests.problems
    shown = (databases, rows, result, manifests, failed_online)
    emit(
        args,
        lambda: deps_findings_report(
            rows=rows,
            result=result,
            manifests=manifests,
            failed_online=failed_online,
            version=__version__,
            root=str(root.resolve()) if root is not None else str(Path.cwd()),
        ),
        {
            "text": lambda: _capture(_print_text, *shown),
            "json": lambda: _capture(_print_json, *shown),
        },
        specs,
    )
    if manifests.errors:
        return 2
    findings = len(result.hits) + sum(bool(loose) + bool(bare) for _, loose, bare in rows)
    incomplete = not result.verified_clean or problems or failed_online or hidden
    return 1 if findings or incomplete else 0


def _capture(printer: Callable[..., None], *values: object) -> str:
    """What ``printer`` writes to stdout, as text (stderr lines still go to stderr)."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        printer(*values)
    return buffer.getvalue()


def _print_json(
    databases: tuple[AdvisoryDatabase, ...],
    rows: Rows,
    result: AuditResult,
    manifests: ManifestSet,
    failed_online: tuple[tuple[str, str], ...],
) -> None:
    doc = {
        "databases": [
            {
                "name": d.name,
                "date": d.date,
                "sha256": d.sha256,
                "records": d.index.count,
                "source": d.source,
                "complete_for": sorted(d.complete_for),
            }
            for d in databases
        ],
        "manifests": [
            {
                "path": m.path,
                "kind": m.kind.value,
                "dependencies": len(m.dependencies),
                "unpinned": loose,
                "unhashed": bare,
                "includes": list(m.includes),
            }
            for m, loose, bare in rows
        ],
        "vulnerable": [
            {
                "package": h.name,
                "version": h.version,
                "sources": list(h.sources),
                "advisories": [
                    {"id": a.id, "aliases": list(a.aliases), "summary": a.summary, "database": db}
                    for db, a in h.advisories
                ],
            }
            for h in result.hits
        ],
        "verified": result.verified_clean and not manifests.problems and not failed_online,
        "not_covered": list(result.not_covered),
        "stale": list(result.stale),
        "unknown_version": list(result.unknown_version),
        "unresolved": list(result.unresolved),
        "undecidable": list(result.undecidable),
        "problems": [{"path": p, "line": line, "message": m} for p, line, m in manifests.problems],
        "online_failures": [{"package": p, "reason": r} for p, r in failed_online],
        "errors": [{"path": p, "message": m} for p, m in manifests.errors],
    }
    print(json.dumps(doc, indent=2))


def _print_text(
    databases: tuple[AdvisoryDatabase, ...],
    rows: Rows,
    result: AuditResult,
    manifests: ManifestSet,
    failed_online: tuple[tuple[str, str], ...],
) -> None:
    for db in databases:
        scope = (
            f"complete for {', '.join(sorted(db.complete_for))}"
            if db.complete_for
            else ("per package" if db.complete else "floor: can fail, never pass")
        )
        print(
            f"advisories: {db.name} dated {db.date} ({db.index.count} records, {scope}"
            + (f", sha256 {db.sha256[:12]})" if db.sha256 else ")")
        )
    for manifest, loose, bare in rows:
        status = [f"not pinned: {', '.join(loose)}"] if loose else []
        status += [f"no hash: {', '.join(bare)}"] if bare else []
        if manifest.problems:
            status.append(f"NOT VERIFIED: {len(manifest.problems)} unreadable entr(ies)")
        empty = "no dependencies declared" if not manifest.dependencies else "pinned with hashes"
        summary = "; ".join(status) or empty
        print(f"{manifest.path} [{manifest.kind}, {len(manifest.dependencies)} deps]: {summary}")
    for hit in result.hits:
        print(
            f"VULNERABLE {hit.name} {hit.version} ({', '.join(hit.sources)}): {', '.join(hit.ids)}"
        )
        for _, advisory in hit.advisories:
            print(f"    {', '.join(advisory.ids)}: {advisory.summary}")
    for reason in result.stale:
        print(f"STALE {reason}: run 'mlsvs advisories update'")
    if result.not_covered:
        print(f"NOT VERIFIED (no current, complete advisory data): {', '.join(result.not_covered)}")
    if result.unresolved:
        print(f"NOT VERIFIED (version set at install time): {', '.join(result.unresolved)}")
    if result.unknown_version:
        print(f"NOT VERIFIED (no exact version): {', '.join(result.unknown_version)}")
    if result.undecidable:
        print(f"NOT VERIFIED (not PEP 440): {', '.join(result.undecidable)}")
    for package, reason in failed_online:
        print(f"NOT VERIFIED (OSV API): {package}: {reason}")
    for path, line, message in manifests.problems:
        where = f"{path}:{line}" if line else path
        print(f"mlsvs: problem: {where}: {message}", file=sys.stderr)
    for _, message in manifests.errors:
        print(f"mlsvs: error: {message}", file=sys.stderr)
    print(f"{result.checked} pinned version(s) checked", file=sys.stderr)
