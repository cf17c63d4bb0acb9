"""Options every command shares, declared once: ``-f FORMAT[:PATH]``, ``-c/--config``,
``-j/--jobs``, ``-q/--quiet`` (see docs/cli.md, "Common options")."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Mapping, Sequence

    from mlsvs.output.report import FindingsReport
    from mlsvs.output.spec import OutputSpec

FINDINGS = ("sarif", "junit", "markdown", "gitlab-sast")
"""The formats every findings command offers besides its own ``text`` and ``json``."""


def add_format(
    parser: argparse.ArgumentParser, formats: Sequence[str], *, default: str = "text"
) -> None:
    """``-f/--format FORMAT[:PATH]``, repeatable (``FORMAT`` alone writes to stdout)."""
    parser.add_argument(
        "-f",
        "--format",
        dest="formats",
        action="append",
        metavar="FORMAT[:PATH]",
        help=f"output format and file, repeatable: {', '.join(formats)} "
        f"(default: {default} on stdout)",
    )
    parser.set_defaults(_formats=tuple(formats), _default_format=default)


def add_config(parser: argparse.ArgumentParser) -> None:
    """``-c/--config FILE``."""
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help="configuration file (default: nearest mlsvs.toml or pyproject.toml with [tool.mlsvs])",
    )


def add_jobs(parser: argparse.ArgumentParser, *, default: int | None = None) -> None:
    """``-j/--jobs N``."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default,
        metavar="N",
        help="work in parallel on N workers"
        + (f" (default {default})" if default is not None else " (default: min(8, cores))"),
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` (``--no-progress`` is kept as a synonym)."""
    parser.add_argument(
        "-q",
        "--quiet",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="no progress bar and no 'wrote FILE' lines on stderr",
    )


def add_common(
    parser: argparse.ArgumentParser,
    formats: Sequence[str],
    *,
    default: str = "text",
    jobs: int | None = None,
) -> None:
    """All four shared options."""
    add_format(parser, formats, default=default)
    add_config(parser)
    add_jobs(parser, default=jobs)
    add_quiet(parser)


def jobs(args: argparse.Namespace, *, fallback: int = 1) -> int:
    """The validated ``--jobs`` value."""
    value = getattr(args, "jobs", None)
    if value is None:
        return fallback
    if value < 1:
        raise UsageError("--jobs must be at least 1")
    return int(value)


def output_specs(args: argparse.Namespace) -> tuple[OutputSpec, ...]:
    """The parsed ``-f`` options of a command configured with :func:`add_format`."""
    from mlsvs.output.spec import parse_output_specs

    return parse_output_specs(
        getattr(args, "formats", None), default=args._default_format, known=args._formats
    )


def emit(
    args: argparse.Namespace,
    report: Callable[[], FindingsReport],
    native: Mapping[str, Callable[[], str]],
    specs: Sequence[OutputSpec] | None = None,
) -> tuple[str, ...]:
    """Write every requested output; name the files written on stderr unless ``--quiet``."""
    from mlsvs.output.write import write_report
    from mlsvs.util.text import safe_path

    written = write_report(
        specs if specs is not None else output_specs(args), report, native=native
    )
    if not getattr(args, "quiet", False):
        for path in written:
            print(f"mlsvs: wrote {safe_path(path)}", file=sys.stderr)
    return written
