"""``mlsvs procurement``: the procurement annex for a level and scope."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.cli import _catalog_args as common
from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse

FORMATS = ("markdown", "html", "csv")


def configure(parser: argparse.ArgumentParser) -> None:
    """Options: level, declared tags, chapters, format, output."""
    parser.description = (
        "Write the annex a buyer attaches to a contract: level semantics, scope, every "
        "applicable requirement with pass criteria, fail condition and the evidence the supplier "
        "must deliver. -f csv writes the supplier response template to fill in."
    )
    parser.add_argument(
        "--level",
        required=True,
        metavar="L",
        help="target level; requirements with entry level <= L apply (cumulative)",
    )
    parser.add_argument(
        "--tags",
        action="append",
        metavar="TAG,...",
        help="applicability tags the system declares, e.g. personal_data,exposes_inference_api; "
        "requirements needing undeclared tags are listed as out of scope",
    )
    parser.add_argument("--chapter", action="append", metavar="ID", help="limit to chapters")
    parser.add_argument(
        "-f",
        "--format",
        default="markdown",
        metavar="FMT[:PATH]",
        help="markdown (default), html, csv; FMT:PATH writes the file (like -o PATH)",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")
    common.add_source_options(parser)


def run(args: argparse.Namespace) -> int:
    """Build the annex and render it."""
    from mlsvs.catalog.procurement import annex_markdown, build_annex, response_template_csv
    from mlsvs.cli._common import split_format

    split_format(args)
    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r} (choose from {', '.join(FORMATS)})")
    level = common.level(args.level)
    assert level is not None  # noqa: S101 - --level is required by argparse
    standard = common.load(args)
    annex = build_annex(
        standard, level, tags=common.split(args.tags), chapters=common.split(args.chapter)
    )
    if args.format == "html":
        from mlsvs.catalog.procurement_html import annex_html

        text = annex_html(annex)
    elif args.format == "csv":
        text = response_template_csv(annex)
    else:
        text = annex_markdown(annex)
    common.write(text, args.output)
    return 0
