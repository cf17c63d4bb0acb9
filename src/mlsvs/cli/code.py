"""``mlsvs code``: run the ML code rules over Python files and notebooks."""

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
    parser.add_argument(
        "-f", "--format", choices=("text", "json", "sarif"), default="text", help="output format"
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="ID",
        help="report only this rule (repeatable), e.g. MLCODE001",
    )
    parser.add_argument(
        "--min-severity",
        default="info",
        metavar="LEVEL",
        help="hide findings below this severity (info, low, medium, high, critical)",
    )
    parser.add_argument(
        "--torch-version",
        default=None,
        metavar="VERSION",
        help="pinned torch version; adjusts the torch.load rule (weights_only is safe from 2.6)",
    )


def run(args: argparse.Namespace) -> int:
    """Scan, print, and return 0 (clean), 1 (findings, or a file could not be analysed) or 2
    (bad usage: no such path, unknown rule).

    One unparsable file is a problem of that file, reported on stderr and in the JSON/SARIF
    output; the run goes on and never ends in 2 because of it. It does keep the exit code off 0:
    a run that could not read everything is not clean.
    """
    from dataclasses import replace

    from mlsvs import __version__
    from mlsvs.codescan import parse_rule, scan_file
    from mlsvs.codescan.files import PathError, collect, is_code
    from mlsvs.codescan.report import results_json, results_sarif, text_line
    from mlsvs.model.result import Severity

    try:
        rules = frozenset(parse_rule(r) for r in args.rule)
        floor = Severity.parse(args.min_severity)
        files = collect([Path(p) for p in args.paths], is_code)
    except (ValueError, PathError) as exc:
        raise UsageError(str(exc)) from None
    results = []
    for file, display in files:
        result = scan_file(file, display=display, torch_version=args.torch_version)
        kept = tuple(
            f
            for f in result.findings
            if (not rules or f.rule in rules) and f.severity.rank >= floor.rank
        )
        results.append(replace(result, findings=kept))
    if args.format == "json":
        print(json.dumps(results_json(results), indent=2))
    elif args.format == "sarif":
        print(json.dumps(results_sarif(results, version=__version__), indent=2))
    else:
        for result in results:
            for finding in result.findings:
                print(text_line(result.path, finding))
        for result in results:
            for error in result.errors:
                print(f"mlsvs: not analysed: {error}", file=sys.stderr)
            if result.skipped:
                print(f"mlsvs: skipped {result.path}: {result.skipped}", file=sys.stderr)
        count = sum(len(r.findings) for r in results)
        broken = sum(bool(r.errors) for r in results)
        skipped = sum(bool(r.skipped) for r in results)
        tail = f"; {broken} file(s) not fully analysed" if broken else ""
        tail += f"; {skipped} file(s) in another language skipped" if skipped else ""
        print(f"{count} finding(s) in {len(results)} file(s){tail}", file=sys.stderr)
    return 1 if any(r.findings or r.errors for r in results) else 0
