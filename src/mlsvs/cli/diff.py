"""``mlsvs diff OLD.json NEW.json``: regressions between two runs (exit 1 if any)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``mlsvs diff``."""
    parser.add_argument("old", metavar="OLD.json", help="results.json of the baseline run")
    parser.add_argument("new", metavar="NEW.json", help="results.json of the run to compare")
    parser.add_argument(
        "-f",
        "--format",
        default="text",
        choices=("text", "json", "markdown"),
        help="output format (default: text)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the comparison; 1 when something regressed, 0 otherwise."""
    import sys

    from mlsvs.render.diff import diff_assessments, render_diff
    from mlsvs.render.json import load_assessment

    old = load_assessment(args.old)
    new = load_assessment(args.new)
    result = diff_assessments(old, new)
    render_diff(result, args.format, sys.stdout)
    return 1 if result.has_regressions else 0
