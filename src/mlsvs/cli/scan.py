"""``mlsvs scan PATH...``: scan model files for code that runs on load (never loads them).

Exit codes: 0 every file verified and clean, 1 findings at or above ``--min-severity``,
2 usage or read errors, 3 no findings but some file (or part of one) was not verified.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlsvs.scanner.output import Summary

CONFIGURE_LOGGING = False
"""The scanner never logs: configuring ``logging`` (~3 ms of imports on every scan) would only
change how a third-party library's rare warning is worded; Python's last-resort handler still
prints warnings to stderr. ``-v`` and ``MLSVS_LOG_LEVEL`` configure it as for any command."""

SKIP_TEARDOWN = True
"""A scan leaves no open file, child process or atexit work behind (reports are written and
closed, ``-j`` workers reaped), so the console script ends it without the interpreter's
module teardown (``mlsvs.cli.main``)."""


AUTO_JOBS = 4
"""Workers without ``-j``: each may hold up to the scanner's 256 MiB memory bound at once."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs scan``."""
    parser.epilog = (
        "Each file is clean, has findings, or is not verified (unidentified, unparseable, "
        "unreadable or over a limit; listed apart from findings). Exit codes: 0 all clean, "
        "1 findings at or above --min-severity, 2 usage or read errors, 3 no findings but "
        "something was not verified."
    )
    from mlsvs.cli._common import FINDINGS, add_common

    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    add_common(parser, ("text", "json", *FINDINGS), auto_jobs=f"min({AUTO_JOBS}, CPUs)")
    parser.add_argument("-o", "--output", help=argparse.SUPPRESS)
    parser.add_argument(
        "--min-severity",
        default="low",
        metavar="LEVEL",
        help="report and fail on findings at or above LEVEL (info, low, medium, high, critical)",
    )
    parser.add_argument(
        "--allow-global",
        action="append",
        default=[],
        metavar="CALLABLE",
        help="extra allowed pickle callable (module.qualname or module.*); repeatable",
    )
    parser.add_argument("--allow", action="append", default=[], help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Scan, render, and map the result to an exit code."""
    from mlsvs.cli._common import emit, jobs, output_specs, progress_enabled
    from mlsvs.errors import ConfigError, UsageError
    from mlsvs.model.severity import Severity
    from mlsvs.scanner.api import scan_tree
    from mlsvs.scanner.output import findings_report, render_json, render_text, summarize
    from mlsvs.scanner.settings import options_from
    from mlsvs.util.config_file import find_config
    from mlsvs.util.text import safe_path, sanitize

    if args.allow:
        raise UsageError(
            "--allow grants capabilities (network, model-exec) and scan needs none; "
            f"to extend the pickle allowlist use --allow-global {args.allow[0]}"
        )
    if args.output:
        raise UsageError(f"-o/--output was replaced by -f FORMAT:PATH, e.g. -f json:{args.output}")
    specs = output_specs(args)
    try:
        minimum = Severity.parse(args.min_severity)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from mlsvs.util.fanout import usable_cpus

    workers = jobs(args, fallback=min(AUTO_JOBS, usable_cpus()))
    missing = [p for p in args.paths if not Path(p).exists() and not Path(p).is_symlink()]
    if missing:
        raise UsageError(f"no such file or directory: {safe_path(missing[0])}")
    config_path = args.config or find_config(Path.cwd())
    section: Mapping[str, object] = {}
    if config_path is not None:
        from mlsvs.config import load_config  # its model costs ~8 ms: only with a file

        config = load_config(Path.cwd(), config_path)
        section = config.settings.get("scanner", {})
    try:
        options = options_from(section, args.allow_global)
    except ValueError as exc:
        raise ConfigError(
            str(exc), path=None if config_path is None else str(config_path)
        ) from None
    # Non-UTF-8 file names and pickled strings may hold lone surrogates: escape them so every
    # format encodes (JSON without lone surrogates, SARIF and text without crashing).
    line = ProgressLine(sys.stderr) if progress_enabled(args) and sys.stderr.isatty() else None
    try:
        scanned, skipped = scan_tree(args.paths, jobs=workers, options=options, progress=line)
    finally:
        if line is not None:
            line.clear()
    reports = sanitize(scanned)
    if not reports:
        where = ", ".join(safe_path(p) for p in args.paths)
        raise UsageError(
            f"nothing to scan under {where}: no candidate model files "
            f"({skipped} text, media or empty file(s) skipped)"
        )
    emit(
        args,
        lambda: findings_report(reports, minimum),
        {
            "text": lambda: render_text(reports, minimum),
            "json": lambda: render_json(reports, minimum),
        },
        specs,
    )
    return exit_code(summarize(reports, minimum))


class ProgressLine:
    """``examined N/M files`` on one terminal line, redrawn at most ten times a second and
    erased when the scan ends (no thread: a forked worker must not inherit one)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn = 0.0

    def __call__(self, started: int, total: int) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1 and started < total:
            return
        self._drawn = now
        self._stream.write(f"\rmlsvs scan: examined {started:,}/{total:,} files")
        self._stream.flush()

    def clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def exit_code(summary: Summary) -> int:
    """1 findings, else 2 read errors, else 3 not verified, else 0 (see docs/scanner.md)."""
    if summary.with_findings:
        return 1
    if summary.errors:
        return 2
    return 3 if summary.not_verified else 0
