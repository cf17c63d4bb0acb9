"""``mlsvs secrets``: find credentials in code, notebooks, configs and model metadata."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse

    from mlsvs.codescan.secrets import SecretFileResult


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    from mlsvs.cli._common import FINDINGS, add_common

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    add_common(parser, ("text", "json", *FINDINGS), jobs=1)
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
    from concurrent.futures import ThreadPoolExecutor

    from mlsvs import __version__
    from mlsvs.cli._common import emit, jobs, output_specs
    from mlsvs.codescan.files import PathError, collect
    from mlsvs.codescan.report import secrets_findings_report
    from mlsvs.codescan.secrets import scan_secrets_file
    from mlsvs.codescan.secrets.files import wanted

    specs = output_specs(args)
    workers = jobs(args)
    try:
        files = collect([Path(p) for p in args.paths], wanted)
    except PathError as exc:
        raise UsageError(str(exc)) from None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(
            pool.map(
                lambda item: scan_secrets_file(
                    item[0], display=item[1], min_entropy=args.min_entropy
                ),
                files,
            )
        )
    emit(
        args,
        lambda: secrets_findings_report(results, version=__version__),
        {"text": lambda: _text(results), "json": lambda: _json(results)},
        specs,
    )
    for result in results:
        for error in result.errors:
            print(f"mlsvs: not scanned: {error}", file=sys.stderr)
    count = sum(len(r.hits) for r in results)
    if not args.quiet:
        print(f"{count} secret(s) in {len(results)} file(s)", file=sys.stderr)
    return 1 if any(r.hits or r.errors for r in results) else 0


def _json(results: list[SecretFileResult]) -> str:
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
    return json.dumps(doc, indent=2) + "\n"


def _text(results: list[SecretFileResult]) -> str:
    lines = []
    for result in results:
        for s in result.hits:
            where = f"{s.pointer}:" if s.pointer else ""
            lines.append(
                f"{result.path}:{where}{s.hit.line}:{s.hit.column}: {s.hit.rule} "
                f"[{s.hit.severity}] {s.hit.masked}  {s.hit.excerpt}\n"
            )
    return "".join(lines)
