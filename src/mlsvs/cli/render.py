"""``mlsvs render RESULTS.json -f FMT[:PATH]...``: re-render results without re-running."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from mlsvs.model.assessment import Assessment


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
    parser.add_argument(
        "--previous",
        metavar="RESULTS.json",
        help="results.json of an earlier run: the reports show the trend since then",
    )


def run(args: argparse.Namespace) -> int:
    """Load the results file and write every requested output; 0 on success."""
    from mlsvs.cli._titles import requirement_titles
    from mlsvs.render.base import parse_output_specs, write_outputs
    from mlsvs.render.json import load_assessment

    specs = parse_output_specs(args.outputs)
    assessment = _with_catalog(load_assessment(args.results))
    if args.previous:
        from mlsvs.engine.trend import with_previous

        assessment = with_previous(assessment, load_assessment(args.previous), source=args.previous)
    write_outputs(
        assessment, specs, requirement_titles=requirement_titles(assessment.standard.version)
    )
    return 0


def _with_catalog(assessment: Assessment) -> Assessment:
    """Results written before schema 1.2 lack requirement text: take it from the bundled
    catalog when the digest matches the one the results were made against."""
    if assessment.requirements:
        return assessment
    from mlsvs.catalog import bundled_versions, load_standard
    from mlsvs.engine.reqinfo import with_requirements

    if assessment.standard.version not in bundled_versions():
        return assessment
    return with_requirements(assessment, load_standard(assessment.standard.version))
