"""``mlsvs oscal``: OSCAL JSON for GRC tools (catalog, assessment-results).

The OSCAL profile of a level + scope + parameter selection is written by
``mlsvs procurement -f oscal-profile`` (it is built from the same questionnaire as the annex).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.cli import _catalog_args as common
from mlsvs.cli._texts import report_written, write_texts

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Sub-commands ``catalog`` and ``assessment-results``."""
    parser.description = (
        "Export OSCAL 1.1.2 JSON: the catalog (requirements as controls, parameters as params) "
        "and an assessment (results.json) as assessment-results. The OSCAL profile of a "
        "selection comes from `mlsvs procurement -f oscal-profile`; `mlsvs verify --profile` "
        "reads it back."
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    catalog = sub.add_parser("catalog", help="the standard as an OSCAL catalog")
    common.add_source_options(catalog)
    catalog.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")
    results = sub.add_parser(
        "assessment-results", help="a results.json of mlsvs verify as OSCAL assessment-results"
    )
    results.add_argument("results", type=Path, help="results.json")
    results.add_argument(
        "--plan", default="", metavar="HREF", help="href of the OSCAL assessment plan, if any"
    )
    results.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")


def run(args: argparse.Namespace) -> int:
    """Write the requested OSCAL document."""
    if args.action == "catalog":
        from mlsvs.catalog.oscal import catalog_to_oscal

        document = catalog_to_oscal(common.load(args))
    else:
        import hashlib

        from mlsvs.render.json import load_assessment
        from mlsvs.render.oscal import assessment_results

        assessment = load_assessment(args.results)
        document = assessment_results(
            assessment,
            results_sha256=hashlib.sha256(args.results.read_bytes()).hexdigest(),
            plan_href=args.plan,
        )
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    target = [f"json:{args.output}"] if args.output else None
    report_written(write_texts(target, {"json": lambda: text}, default="json"))
    return 0
