"""``-f FMT[:PATH]`` for commands whose outputs are whole texts (procurement, evidence, oscal),
on the shared output layer (``mlsvs.output``): its option parsing and its atomic writer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError
from mlsvs.util.text import safe_path

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Mapping

    from mlsvs.output import FindingsReport


def add_format_option(
    parser: argparse.ArgumentParser, formats: Iterable[str], default: str
) -> None:
    """``-f/--format FMT[:PATH]``, repeatable."""
    parser.add_argument(
        "-f",
        "--format",
        dest="formats",
        action="append",
        metavar="FMT[:PATH]",
        help=f"output format and file, repeatable: {', '.join(formats)} "
        f"(default: {default} on stdout)",
    )


def _no_findings() -> FindingsReport:
    raise UsageError("this command writes no findings report")  # every format is native


def write_texts(
    values: list[str] | None,
    makers: Mapping[str, Callable[[], str]],
    *,
    default: str,
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """Render every requested format and write it; returns the files written."""
    from mlsvs.output import parse_output_specs, write_report

    aliases = aliases or {}
    raw = [_alias(v, aliases) for v in values or ()]
    specs = parse_output_specs(raw or None, default=default, known=makers)
    return list(write_report(specs, _no_findings, native=makers))


def report_written(paths: Iterable[str]) -> None:
    """``mlsvs: wrote PATH`` on stderr for each file."""
    for path in paths:
        print(f"mlsvs: wrote {safe_path(path)}", file=sys.stderr)


def _alias(value: str, aliases: Mapping[str, str]) -> str:
    fmt, sep, path = value.partition(":")
    return f"{aliases.get(fmt.strip().lower(), fmt)}{sep}{path}"
