"""``mlsvs render RESULTS.json -f FMT[:PATH]...``: re-render results without re-running."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``mlsvs render``."""
    parser.add_argument("results", metavar="RESULTS.json", help="a results.json written by verify")
    parser.add_argument(
        "-f",
        "--format",
        dest="outputs",
        action="append",
        metavar="FMT[:PATH]",
        help="output format and optional file ('-' = stdout); repeatable. Formats: terminal, "
        "json, markdown, html, sarif, junit, cyclonedx (default: terminal)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the results file and write every requested output; 0 on success."""
    from mlsvs.cli._titles import requirement_titles
    from mlsvs.render.base import parse_output_specs, write_outputs
    from mlsvs.render.json import load_assessment

    specs = parse_output_specs(args.outputs)
    assessment = load_assessment(args.results)
    write_outputs(
        assessment, specs, requirement_titles=requirement_titles(assessment.standard.version)
    )
    return 0
