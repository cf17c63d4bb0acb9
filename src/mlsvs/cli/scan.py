"""``mlsvs scan PATH...``: scan model files for code that runs on load (never loads them).

Exit codes: 0 every file verified and clean, 1 findings at or above ``--min-severity``,
2 usage or read errors, 3 no findings but some file (or part of one) was not verified.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from mlsvs.scanner.output import Summary

FORMATS = ("text", "json", "sarif")


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs scan``."""
    parser.epilog = (
        "Each file is clean, has findings, or is not verified (unidentified, unparseable, "
        "unreadable or over a limit; listed apart from findings). Exit codes: 0 all clean, "
        "1 findings at or above --min-severity, 2 usage or read errors, 3 no findings but "
        "something was not verified."
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--min-severity",
        default="low",
        metavar="LEVEL",
        help="report and fail on findings at or above LEVEL (info, low, medium, high, critical)",
    )
    parser.add_argument("--jobs", "-j", type=int, default=1, help="files scanned in parallel")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CALLABLE",
        help="extra allowed pickle callable (module.qualname or module.*); repeatable",
    )
    parser.add_argument("--config", metavar="FILE", help="mlsvs.toml / pyproject.toml to read")


def run(args: argparse.Namespace) -> int:
    """Scan, render, and map the result to an exit code."""
    from mlsvs.config import load_config
    from mlsvs.errors import ConfigError, UsageError
    from mlsvs.model.result import Severity
    from mlsvs.scanner.api import expand_counted, scan_targets
    from mlsvs.scanner.output import render_json, render_sarif, render_text, summarize
    from mlsvs.scanner.settings import options_from
    from mlsvs.util.atomic import atomic_open
    from mlsvs.util.text import safe_path, sanitize

    try:
        minimum = Severity.parse(args.min_severity)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    missing = [p for p in args.paths if not Path(p).exists() and not Path(p).is_symlink()]
    if missing:
        raise UsageError(f"no such file or directory: {safe_path(missing[0])}")
    config = load_config(Path.cwd(), Path(args.config) if args.config else None)
    try:
        options = options_from(config.settings.get("scanner", {}), args.allow)
    except ValueError as exc:
        raise ConfigError(str(exc), path=config.source) from None
    targets, skipped = expand_counted(args.paths)
    if not targets:
        where = ", ".join(safe_path(p) for p in args.paths)
        raise UsageError(
            f"nothing to scan under {where}: no candidate model files "
            f"({skipped} text, media or empty file(s) skipped)"
        )
    # Non-UTF-8 file names and pickled strings may hold lone surrogates: escape them so every
    # format encodes (JSON without lone surrogates, SARIF and text without crashing).
    reports = sanitize(scan_targets(targets, jobs=args.jobs, options=options))
    render = {"text": render_text, "json": render_json, "sarif": render_sarif}[args.format]
    text = render(reports, minimum)
    if args.output:
        try:
            with atomic_open(Path(args.output)) as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write the report: {exc.strerror}", path=args.output) from None
    else:
        sys.stdout.write(text)
    return exit_code(summarize(reports, minimum))


def exit_code(summary: Summary) -> int:
    """1 findings, else 2 read errors, else 3 not verified, else 0 (see docs/scanner.md)."""
    if summary.with_findings:
        return 1
    if summary.errors:
        return 2
    return 3 if summary.not_verified else 0
