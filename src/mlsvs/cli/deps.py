"""``mlsvs deps``: audit dependency manifests offline: exact pins, hashes, known vulnerabilities."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from mlsvs.supply.manifests import ManifestSet


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="project directory or manifest files"
    )
    parser.add_argument(
        "--osv", type=Path, metavar="SNAPSHOT", help="OSV snapshot (all.zip, directory or JSON)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="ignore the snapshot imported into the cache"
    )
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")


def _manifests(paths: list[Path]) -> tuple[ManifestSet, Path | None, object]:
    """Parse a project directory (configuration applies) or a list of manifest files."""
    from mlsvs.supply.cliutil import load_project
    from mlsvs.supply.errors import ManifestError
    from mlsvs.supply.manifests import ManifestSet, parse_manifest, parse_project

    if len(paths) == 1 and paths[0].is_dir():
        loaded = load_project(paths[0])
        return parse_project(loaded.project), paths[0], loaded.section("advisories").get("osv")
    parsed, errors = [], []
    for path in paths:
        try:
            parsed.append(parse_manifest(path, root=path.parent))
        except ManifestError as exc:
            errors.append((str(path), exc.diagnostics()))
    return ManifestSet(manifests=tuple(parsed), errors=tuple(errors)), None, None


def run(args: argparse.Namespace) -> int:
    """0 clean, 1 unpinned/unhashed/vulnerable dependencies, 2 unreadable input."""
    from mlsvs.errors import UsageError
    from mlsvs.supply.advisories import cache_dir, load_databases
    from mlsvs.supply.audit import audit, unhashed, unpinned

    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: not found")
    manifests, root, configured = _manifests(args.paths)
    osv = args.osv
    if osv is None and isinstance(configured, str) and root is not None:
        osv = root / configured
    databases = load_databases(osv=osv, cache=None if args.no_cache else cache_dir())
    locked = manifests.locked()
    rows = [
        (
            m,
            sorted({d.name for d in unpinned(m, locked)}),
            sorted({d.name for d in unhashed(m, locked)}),
        )
        for m in manifests.manifests
    ]
    result = audit(manifests.dependencies, databases)
    if args.format == "json":
        doc = {
            "databases": [
                {"name": d.name, "date": d.date, "sha256": d.sha256, "records": d.index.count}
                for d in databases
            ],
            "manifests": [
                {
                    "path": m.path,
                    "kind": m.kind.value,
                    "dependencies": len(m.dependencies),
                    "unpinned": loose,
                    "unhashed": bare,
                }
                for m, loose, bare in rows
            ],
            "vulnerable": [
                {
                    "package": h.name,
                    "version": h.version,
                    "sources": list(h.sources),
                    "advisories": [
                        {
                            "id": a.id,
                            "aliases": list(a.aliases),
                            "summary": a.summary,
                            "database": db,
                        }
                        for db, a in h.advisories
                    ],
                }
                for h in result.hits
            ],
            "unknown_version": list(result.unknown_version),
            "errors": [{"path": p, "message": m} for p, m in manifests.errors],
        }
        print(json.dumps(doc, indent=2))
    else:
        for db in databases:
            print(
                f"advisories: {db.name} dated {db.date} "
                f"({db.index.count} records, sha256 {db.sha256[:12]})"
            )
        for manifest, loose, bare in rows:
            status = [f"not pinned: {', '.join(loose)}"] if loose else []
            status += [f"no hash: {', '.join(bare)}"] if bare else []
            summary = "; ".join(status) or "pinned with hashes"
            print(
                f"{manifest.path} [{manifest.kind}, {len(manifest.dependencies)} deps]: {summary}"
            )
        for hit in result.hits:
            print(
                f"VULNERABLE {hit.name} {hit.version} ({', '.join(hit.sources)}): "
                f"{', '.join(hit.ids)}"
            )
            for _, advisory in hit.advisories:
                print(f"    {', '.join(advisory.ids)}: {advisory.summary}")
        if result.unknown_version:
            print(f"not checked (no exact version): {', '.join(result.unknown_version)}")
        for _, message in manifests.errors:
            print(f"mlsvs: error: {message}", file=sys.stderr)
        print(f"{result.checked} pinned version(s) checked", file=sys.stderr)
    if manifests.errors:
        return 2
    findings = len(result.hits) + sum(bool(loose) + bool(bare) for _, loose, bare in rows)
    return 1 if findings or result.unknown_version else 0
