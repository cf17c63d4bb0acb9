"""``mlsvs code``: run the ML code rules over Python files and notebooks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from mlsvs.codescan.findings import CodeFinding, CodeScanResult


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    from mlsvs.cli._common import FINDINGS, add_common

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    add_common(parser, ("text", "json", *FINDINGS), jobs=1)
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
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from mlsvs import __version__
    from mlsvs.cli._common import emit, jobs, output_specs
    from mlsvs.codescan import parse_rule, scan_file
    from mlsvs.codescan.files import PathError, collect, is_code
    from mlsvs.codescan.report import code_findings_report, results_json, text_line
    from mlsvs.model.result import Severity

    specs = output_specs(args)
    workers = jobs(args)
    try:
        rules = frozenset(parse_rule(r) for r in args.rule)
        floor = Severity.parse(args.min_severity)
        files = collect([Path(p) for p in args.paths], is_code)
    except (ValueError, PathError) as exc:
        raise UsageError(str(exc)) from None

    def one(item: tuple[Path, str]) -> CodeScanResult:
        file, display = item
        result = scan_file(file, display=display, torch_version=args.torch_version)
        kept = tuple(
            f
            for f in result.findings
            if (not rules or f.rule in rules) and f.severity.rank >= floor.rank
        )
        return replace(result, findings=kept)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    emit(
        args,
        lambda: code_findings_report(results, version=__version__),
        {
            "text": lambda: _text(results, text_line),
            "json": lambda: json.dumps(results_json(results), indent=2) + "\n",
        },
        specs,
    )
    _summary(results)
    return 1 if any(r.findings or r.errors for r in results) else 0


def _text(results: list[CodeScanResult], line: Callable[[str, CodeFinding], str]) -> str:
    out = [line(r.path, f) for r in results for f in r.findings]
    return "".join(f"{x}\n" for x in out)


def _summary(results: list[CodeScanResult]) -> None:
    """Errors, skipped files and the count, on stderr (never mixed into a report)."""
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
