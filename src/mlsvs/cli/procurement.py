"""``mlsvs procurement``: the contract annex for a level and a scope questionnaire."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.cli import _catalog_args as common
from mlsvs.cli._texts import add_format_option, report_written, write_texts
from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

FORMATS = (
    "markdown",
    "html",
    "json",
    "response-csv",
    "response-json",
    "profile",
    "oscal-profile",
)
ALIASES = {"csv": "response-csv", "md": "markdown"}


def configure(parser: argparse.ArgumentParser) -> None:
    """Options: level, answers file or interactive questionnaire, formats."""
    parser.description = (
        "Write the contract annex a buyer signs: the scope chosen by a questionnaire (an "
        "unanswered question keeps its requirements in scope), the parameter schedule, the "
        "evidence accepted for every requirement (automated results only from named checks), "
        "validity and re-verification, acceptance procedure, remediation deadlines, right to "
        "audit and change notification. -f json writes the annex `mlsvs evidence verify` reads; "
        "-f response-csv / response-json the supplier's response form; -f profile the schedule "
        "as a verification profile for `mlsvs verify --profile`."
    )
    parser.add_argument("--level", metavar="L", help="target level (default: the answers file's)")
    parser.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="the buyer's answers (YAML or JSON): parties, level, scope questions, parameter "
        "assignments, terms; see docs/procurement.md",
    )
    parser.add_argument(
        "--interactive",
        action="store_true",
        help="ask the scope questions the answers file leaves open (blank = unanswered)",
    )
    parser.add_argument(
        "--tags",
        action="append",
        metavar="TAG,...",
        help="answer yes for these applicability tags (other questions stay unanswered unless "
        "the answers file answers them)",
    )
    parser.add_argument("--chapter", action="append", metavar="ID", help="limit to chapters")
    add_format_option(parser, FORMATS, "markdown")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the one format here"
    )
    parser.add_argument("--today", help=argparse_suppress())
    common.add_source_options(parser)


def argparse_suppress() -> str:
    """argparse.SUPPRESS without importing argparse at module level."""
    import argparse

    return argparse.SUPPRESS


def run(args: argparse.Namespace) -> int:
    """Build the annex and write every requested format."""
    from mlsvs import __version__
    from mlsvs.procurement.annex import build_annex
    from mlsvs.procurement.answers import parse_answers
    from mlsvs.procurement.checkmap import checks_by_requirement
    from mlsvs.procurement.questionnaire import ask, decide_scope, read_answers_file

    standard = common.load(args)
    answers = (
        parse_answers(read_answers_file(args.answers), source=str(args.answers))
        if args.answers
        else parse_answers({})
    )
    level = common.level(args.level) or answers.level
    if level is None:
        raise UsageError("no level: give --level or 'level' in the answers file")
    tags = common.split(args.tags)
    common.check_known("applicability tag", tags, {t.id for t in standard.tags})
    scope_answers: dict[str, object] = {**answers.scope, **dict.fromkeys(tags, "yes")}
    if args.interactive:
        scope_answers = dict(ask(standard, _prompt, preset=scope_answers))
    scope = decide_scope(standard, scope_answers, source=str(args.answers or "--tags"))
    today = _today(args.today)
    annex = build_annex(
        standard,
        level,
        scope,
        checks_by_requirement(standard),
        buyer=answers.buyer,
        chapters=common.split(args.chapter) or answers.chapters,
        issued=today,
        tool=f"mlsvs {__version__}",
    )
    formats = list(args.formats or [])
    if args.output is not None:
        if len(formats) > 1 or any(":" in f for f in formats):
            raise UsageError("-o FILE takes one format without a path; use -f FMT:PATH instead")
        formats = [f"{formats[0] if formats else 'markdown'}:{args.output}"]
    written = write_texts(formats, _makers(annex), default="markdown", aliases=ALIASES)
    report_written(written)
    return 0


def _prompt(text: str) -> str:
    print(text, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise UsageError("--interactive: standard input ended before every question was answered")
    return line


def _today(text: str | None) -> dt.date:
    if not text:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today must be YYYY-MM-DD, got {text!r}") from None


def _makers(annex: object) -> dict[str, Callable[[], str]]:
    from mlsvs.procurement.annex import ContractAnnex
    from mlsvs.procurement.annex_json import annex_to_json
    from mlsvs.procurement.render_annex import (
        annex_markdown,
        response_csv,
        response_json,
        verification_profile_yaml,
    )
    from mlsvs.procurement.render_annex_html import annex_html

    assert isinstance(annex, ContractAnnex)  # noqa: S101 - typed loosely to keep imports lazy
    return {
        "markdown": lambda: annex_markdown(annex),
        "html": lambda: annex_html(annex),
        "json": lambda: annex_to_json(annex),
        "response-csv": lambda: response_csv(annex),
        "response-json": lambda: response_json(annex),
        "profile": lambda: verification_profile_yaml(annex),
        "oscal-profile": lambda: _oscal_profile(annex),
    }


def _oscal_profile(annex: object) -> str:
    import json

    from mlsvs.procurement.annex import ContractAnnex
    from mlsvs.procurement.oscal_profile import annex_to_oscal_profile

    assert isinstance(annex, ContractAnnex)  # noqa: S101
    return json.dumps(annex_to_oscal_profile(annex), indent=2, ensure_ascii=False) + "\n"
