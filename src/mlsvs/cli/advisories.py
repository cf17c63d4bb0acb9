"""``mlsvs advisories``: import an OSV snapshot into the cache, show what is loaded, query it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-commands ``import``, ``info`` and ``query``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="validate an OSV PyPI export and copy it into the cache")
    imp.add_argument(
        "source", type=Path, metavar="FILE_OR_ZIP", help="all.zip, a directory or JSON"
    )
    info = sub.add_parser("info", help="show the bundled advisories and the cached snapshot")
    info.add_argument("--osv", type=Path, metavar="SNAPSHOT", help="also load this snapshot")
    query = sub.add_parser("query", help="list advisories affecting NAME==VERSION")
    query.add_argument("requirement", metavar="NAME==VERSION")
    query.add_argument("--osv", type=Path, metavar="SNAPSHOT", help="also load this snapshot")


def run(args: argparse.Namespace) -> int:
    """``import``/``info``: 0 on success; ``query``: 0 unaffected, 1 affected."""
    import datetime as dt

    from mlsvs.errors import UsageError
    from mlsvs.supply.advisories import cache_dir, cached_snapshot, import_snapshot, load_databases

    cache = cache_dir()
    if args.action == "import":
        if not args.source.exists():
            raise UsageError(f"{args.source}: not found")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        info = import_snapshot(args.source, cache=cache, imported_at=now)
        print(
            f"imported {info.records} PyPI advisories (newest record {info.date}) into "
            f"{info.path} (sha256 {info.sha256})"
        )
        return 0
    databases = load_databases(osv=args.osv, cache=cache)
    if args.action == "info":
        for db in databases:
            print(f"{db.name}: {db.source}")
            print(f"  date {db.date}, {db.index.count} advisories, "
                  f"{len(db.index.packages())} packages, sha256 {db.sha256}")  # fmt: skip
        snapshot = cached_snapshot(cache)
        if snapshot is None:
            print(
                f"no OSV snapshot imported (cache: {cache}); run 'mlsvs advisories import all.zip'"
            )
        else:
            print(f"cached snapshot imported {snapshot.imported_at} from {snapshot.imported_from}")
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
        print(f"no known advisory for {name.strip()} {version.strip()}")
    return 1 if affected else 0
