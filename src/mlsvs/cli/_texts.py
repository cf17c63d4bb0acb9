"""``-f FMT[:PATH]`` for commands whose outputs are texts made by functions (procurement,
evidence, oscal): the option parsing of ``mlsvs verify`` (``parse_output_specs``), atomic
writes to files, ``-`` for stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError
from mlsvs.util.text import safe_path

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Mapping


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


def write_texts(
    values: list[str] | None,
    makers: Mapping[str, Callable[[], str]],
    *,
    default: str,
    aliases: Mapping[str, str] | None = None,
) -> list[str]:
    """Render every requested format and write it; returns the files written."""
    from mlsvs.render.base import parse_output_specs
    from mlsvs.util.atomic import atomic_open

    aliases = aliases or {}
    raw = [_alias(v, aliases) for v in values or ()]
    specs = parse_output_specs(raw or None, default=default, known=makers)
    written = []
    for spec in specs:
        text = makers[spec.format]()
        if spec.to_stdout:
            sys.stdout.write(text)
            continue
        path = Path(spec.path)
        try:
            with atomic_open(path) as out:
                out.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {spec.path}: {exc.strerror or exc}") from None
        written.append(spec.path)
    return written


def report_written(paths: Iterable[str]) -> None:
    """``mlsvs: wrote PATH`` on stderr for each file."""
    for path in paths:
        print(f"mlsvs: wrote {safe_path(path)}", file=sys.stderr)


def _alias(value: str, aliases: Mapping[str, str]) -> str:
    fmt, sep, path = value.partition(":")
    return f"{aliases.get(fmt.strip().lower(), fmt)}{sep}{path}"
