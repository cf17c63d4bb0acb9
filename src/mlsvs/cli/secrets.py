"""``mlsvs secrets``: find credentials in code, notebooks, configs and model metadata."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--min-entropy",
        type=float,
        default=3.0,
        metavar="BITS",
        help="entropy (bits/char) a generic password/token value needs to be reported",
    )


def run(args: argparse.Namespace) -> int:
    """Scan, print masked hits, and return 0 (clean), 1 (secrets, or a file that could not be
    scanned: named on stderr and in the JSON ``errors``) or 2 (bad usage: no such path)."""
    from mlsvs.codescan.files import PathError, collect
    from mlsvs.codescan.secrets import scan_secrets_file
    from mlsvs.codescan.secrets.files import wanted

    try:
        files = collect([Path(p) for p in args.paths], wanted)
    except PathError as exc:
        raise UsageError(str(exc)) from None
    results = [
        scan_secrets_file(file, display=display, min_entropy=args.min_entropy)
        for file, display in files
    ]
    if args.format == "json":
        doc = {
            "files": len(results),
            "secrets": [
                {
                    "path": r.path,
                    "pointer": s.pointer,
                    "rule": s.hit.rule,
                    "severity": s.hit.severity.value,
                    "line": s.hit.line,
                    "column": s.hit.column,
                    "masked": s.hit.masked,
                    "excerpt": s.hit.excerpt,
                }
                for r in results
                for s in r.hits
            ],
            "errors": [e for r in results for e in r.errors],
        }
        print(json.dumps(doc, indent=2))
    else:
        for result in results:
            for s in result.hits:
                where = f"{s.pointer}:" if s.pointer else ""
                print(
                    f"{result.path}:{where}{s.hit.line}:{s.hit.column}: {s.hit.rule} "
                    f"[{s.hit.severity}] {s.hit.masked}  {s.hit.excerpt}"
                )
            for error in result.errors:
                print(f"mlsvs: not scanned: {error}", file=sys.stderr)
        count = sum(len(r.hits) for r in results)
        print(f"{count} secret(s) in {len(results)} file(s)", file=sys.stderr)
    return 1 if any(r.hits or r.errors for r in results) else 0
