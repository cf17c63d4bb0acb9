"""``mlsvs verify``: assess a project and report the level it reaches.

Exit codes: 0 target level reached, 1 not reached, 2 could not assess.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.util.text import safe_path

if TYPE_CHECKING:
    from collections.abc import Iterator


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs verify``."""
    parser.description = (
        "Discover the project's models, datasets, code, dependencies, cards and configs, run "
        "the automated checks, read attestations, decide a verdict per requirement and report "
        "the level reached. Exit 0 when the target level is reached, 1 when not, 2 when the "
        "project could not be assessed."
    )
    parser.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        help="configuration file (default: nearest mlsvs.toml or pyproject.toml with [tool.mlsvs])",
    )
    parser.add_argument(
        "--level", help="target level L1, L2 or L3 (default: the profile's, the config's, L1)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="verification profile (TOML, YAML, JSON or an OSCAL profile) of the buyer or "
        "assessor: assigns the "
        "standard's parameters within the bounds the standard fixes; the project's own "
        "configuration cannot set them",
    )
    parser.add_argument(
        "--standard",
        metavar="VERSION",
        help="MLSVS version to verify against, e.g. 1.0.0 (default: the profile's, the "
        "config's 'standard', else the newest released)",
    )
    parser.add_argument(
        "-f",
        "--format",
        dest="formats",
        action="append",
        metavar="FMT[:PATH]",
        help="output format and file, repeatable: terminal, json, markdown, "
        "html, sarif, junit, cyclonedx (default: terminal on stdout)",
    )
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CAPS",
        help="grant capabilities to checks: network, model-exec, drill (toggle a declared "
        "kill switch) (comma-separated or repeated)",
    )
    parser.add_argument(
        "--trait",
        action="append",
        default=[],
        metavar="TAG",
        help="declare an applicability trait in addition to the config's",
    )
    parser.add_argument(
        "--attestations",
        action="append",
        default=[],
        metavar="PATH",
        help="attestation files or directories (replaces the config's)",
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only checks whose ID matches (e.g. 'MLC1*')",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="GLOB",
        help="do not run checks whose ID matches",
    )
    parser.add_argument(
        "--previous",
        metavar="RESULTS.json",
        help="results.json of an earlier run: the reports show the trend since then (its own "
        "trend is carried forward)",
    )
    parser.add_argument(
        "--evidence-report",
        dest="evidence_reports",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="another tool's report to use as evidence (SARIF, or trivy, checkov, tfsec, "
        "bandit, semgrep, gitleaks, pip-audit, osv-scanner JSON), repeatable",
    )
    from mlsvs.cli._common import add_jobs, add_quiet

    add_jobs(parser)
    add_quiet(parser)
    parser.add_argument("--today", help=argparse.SUPPRESS)  # fixed date for reproducible tests
    from mlsvs.cli._upload import add_upload_options

    add_upload_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run the assessment and write every requested report."""
    import datetime as dt

    from mlsvs.api import Overrides, assess
    from mlsvs.cli._common import progress_enabled
    from mlsvs.cli._titles import requirement_titles
    from mlsvs.cli.progress import progress_sink
    from mlsvs.errors import UsageError
    from mlsvs.render.base import parse_output_specs, write_outputs

    specs = parse_output_specs(args.formats)
    previous = None
    if args.previous:
        from mlsvs.render.json import load_assessment

        previous = load_assessment(args.previous)  # read first: a bad file fails before the run
    today = None
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            raise UsageError(f"--today must be YYYY-MM-DD, got {args.today!r}") from None
    overrides = Overrides(
        level=args.level,
        allow=tuple(args.allow),
        jobs=args.jobs,
        attestations=tuple(args.attestations),
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        traits=tuple(args.trait),
        standard=args.standard,
        profile=args.profile,
        evidence_reports=tuple(args.evidence_reports),
    )
    with _terminate_as_interrupt():
        try:
            assessment = assess(
                args.path,
                config_file=args.config,
                overrides=overrides,
                sink=progress_sink(enabled=progress_enabled(args)),
                today=today,
            )
        except KeyboardInterrupt:
            # Stopped outside the check runner (discovery, planning): there is no assessment.
            print("mlsvs: interrupted before checks ran: no report written", file=sys.stderr)
            return 2
        if previous is not None:
            from mlsvs.engine.trend import with_previous

            assessment = with_previous(assessment, previous, source=args.previous)
        titles = requirement_titles(assessment.standard.version)
        written = write_outputs(assessment, specs, requirement_titles=titles)
    from mlsvs.cli._upload import upload_if_asked

    upload_if_asked(args, assessment)
    for path in written if not args.quiet else ():
        kind = "partial report" if assessment.interrupted else "report"
        print(f"mlsvs: wrote {kind} {safe_path(path)}", file=sys.stderr)
    if assessment.interrupted:
        print(
            "mlsvs: run interrupted: the report is PARTIAL (checks that had not finished count "
            "as not verified); complete reports were left untouched",
            file=sys.stderr,
        )
        return 2
    return 0 if assessment.target_met else 1


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancelling a job) stops the run like Ctrl-C: the partial report is kept."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding caller): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
