"""``mlsvs advisories``: download or import the OSV database, show what is loaded, query it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-commands ``update``, ``import``, ``info`` and ``query``."""
    from mlsvs.supply.advisories import DEFAULT_MAX_BYTES, DEFAULT_OSV_URL

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upd = sub.add_parser(
        "update", help="download the OSV PyPI export, verify it and store it in the cache"
    )
    upd.add_argument(
        "--url",
        default=None,
        metavar="URL",
        help=f"OSV export to download (default $MLSVS_OSV_URL or {DEFAULT_OSV_URL})",
    )
    upd.add_argument(
        "--extra",
        action="append",
        default=None,
        metavar="URL",
        help="supplementary OSV zip feed (repeatable; default $MLSVS_ADVISORY_EXTRA, "
        "comma-separated); supplements can fail a package, never pass one",
    )
    upd.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help="refuse a download larger than N bytes (default 1 GiB)",
    )
    upd.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS")
    imp = sub.add_parser("import", help="validate an OSV PyPI export and copy it into the cache")
    imp.add_argument(
        "source", type=Path, metavar="FILE_OR_ZIP", help="all.zip, a directory or JSON"
    )
    info = sub.add_parser("info", help="show the bundled advisories and the cached snapshot")
    info.add_argument("--osv", type=Path, metavar="SNAPSHOT", help="also load this snapshot")
    query = sub.add_parser("query", help="list advisories affecting NAME==VERSION")
    query.add_argument("requirement", metavar="NAME==VERSION")
    query.add_argument("--osv", type=Path, metavar="SNAPSHOT", help="also load this snapshot")


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _update(args: argparse.Namespace, cache: Path) -> int:
    from mlsvs.errors import UsageError
    from mlsvs.supply.advisories import DEFAULT_OSV_URL, update_snapshot

    url = args.url or os.environ.get("MLSVS_OSV_URL") or DEFAULT_OSV_URL
    extras = args.extra
    if extras is None:
        extras = [e.strip() for e in os.environ.get("MLSVS_ADVISORY_EXTRA", "").split(",")]
    extras = [e for e in extras if e]
    if args.max_bytes <= 0 or args.timeout <= 0:
        raise UsageError("--max-bytes and --timeout must be positive")
    info = update_snapshot(
        cache=cache,
        osv_url=url,
        extra_urls=tuple(extras),
        fetched_at=_now(),
        max_bytes=args.max_bytes,
        timeout=args.timeout,
    )
    print(
        f"downloaded {info.size} bytes from {info.imported_from}: {info.records} PyPI "
        f"advisories, newest record {info.date}, sha256 {info.sha256}, stored in {info.path}"
    )
    if info.invalid_records:
        print(f"  {info.invalid_records} record(s) failed OSV validation; their packages are "
              "reported as not covered")  # fmt: skip
    for extra in info.extras:
        print(f"  supplement {extra.url}: {extra.records} PyPI advisories, newest {extra.date}")
    return 0


def run(args: argparse.Namespace) -> int:
    """``update``/``import``/``info``: 0 on success; ``query``: 0 unaffected, 1 affected."""
    from mlsvs.errors import UsageError
    from mlsvs.supply.advisories import cache_dir, cached_snapshot, import_snapshot, load_databases
    from mlsvs.supply.audit import DEFAULT_MAX_AGE_DAYS, stale_reason

    cache = cache_dir()
    if args.action == "update":
        return _update(args, cache)
    if args.action == "import":
        if not args.source.exists():
            raise UsageError(f"{args.source}: not found")
        info = import_snapshot(args.source, cache=cache, imported_at=_now())
        print(
            f"imported {info.records} PyPI advisories (newest record {info.date}) into "
            f"{info.path} (sha256 {info.sha256})"
        )
        return 0
    wanted = None
    if args.action == "query":
        from mlsvs.supply.requirements import canonical

        wanted = frozenset({canonical(args.requirement.partition("==")[0].strip())})
    databases = load_databases(osv=args.osv, cache=cache, packages=wanted)
    if args.action == "info":
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        for db in databases:
            role = (
                f"complete for {', '.join(sorted(db.complete_for))}"
                if db.complete_for
                else "floor/supplement: can fail a package, never pass one"
            )
            print(f"{db.name}: {db.source} ({role})")
            print(f"  date {db.date}, {db.index.count} advisories, "
                  f"{len(db.index.packages())} packages, sha256 {db.sha256}")  # fmt: skip
            stale = stale_reason(db, now=now, max_age_days=DEFAULT_MAX_AGE_DAYS)
            if stale:
                print(f"  STALE: {stale}; run 'mlsvs advisories update'")
        snapshot = cached_snapshot(cache)
        if snapshot is None:
            print(
                f"no OSV snapshot stored (cache: {cache}); run 'mlsvs advisories update'. Until "
                "then 'no known vulnerability' cannot be verified."
            )
        else:
            print(f"cached snapshot stored {snapshot.imported_at} from {snapshot.imported_from}")
        return 0
    name, sep, version = args.requirement.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise UsageError("expected NAME==VERSION, e.g. torch==2.5.1")
    affected = 0
    for db in databases:
        matched, undecided = db.index.match(name.strip(), version.strip())
        if undecided:
            print(f"{db.name}: some advisories could not be compared with {version.strip()!r}")
        for advisory in matched:
            affected += 1
            print(f"{db.name}: {', '.join(advisory.ids)}: {advisory.summary}")
    if not affected:
        covered = any(db.covers(name.strip(), version.strip()) for db in databases)
        suffix = "" if covered else " (not verified: no complete advisory database is loaded)"
        print(f"no known advisory for {name.strip()} {version.strip()}{suffix}")
    return 1 if affected else 0
