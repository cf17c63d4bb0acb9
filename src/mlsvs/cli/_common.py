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


def add_jobs(
    parser: argparse.ArgumentParser, *, default: int | None = None, auto: str = "min(8, cores)"
) -> None:
    """``-j/--jobs N``; ``auto`` says what no ``-j`` means when ``default`` is None."""
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default,
        metavar="N",
        help="work in parallel on N workers"
        + (f" (default {default})" if default is not None else f" (default: {auto})"),
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet``; ``--no-progress`` turns off only the progress bar."""
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no 'wrote FILE' lines on stderr",
    )
    parser.add_argument("--no-progress", action="store_true", help="never draw a progress bar")


def progress_enabled(args: argparse.Namespace) -> bool:
    """Whether a command may draw a progress bar (neither ``-q`` nor ``--no-progress``)."""
    return not (getattr(args, "quiet", False) or getattr(args, "no_progress", False))


def add_common(
    parser: argparse.ArgumentParser,
    formats: Sequence[str],
    *,
    default: str = "text",
    jobs: int | None = None,
    auto_jobs: str = "min(8, cores)",
) -> None:
    """All four shared options."""
    add_format(parser, formats, default=default)
    add_config(parser)
    add_jobs(parser, default=jobs, auto=auto_jobs)
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


def split_format(args: argparse.Namespace, *, output: str = "output") -> None:
    """``-f FMT:PATH`` on a command that also has ``-o FILE``: the same as ``-f FMT -o PATH``."""
    value = getattr(args, "format", None)
    if not isinstance(value, str) or ":" not in value:
        return
    fmt, _, path = value.partition(":")
    if not path:
        raise UsageError(f"empty path in {value!r} (use -f {fmt} for stdout)")
    if getattr(args, output, None) is not None:
        raise UsageError(f"give the file once: -f {value} or -o FILE, not both")
    args.format = fmt
    setattr(args, output, Path(path))
