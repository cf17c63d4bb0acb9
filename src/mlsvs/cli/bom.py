"""``mlsvs bom``: write a CycloneDX 1.6 ML-BOM (models, datasets, libraries) for a project."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("project", type=Path, metavar="PROJECT", help="project directory")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    parser.add_argument(
        "--no-libraries", action="store_true", help="leave out libraries from dependency manifests"
    )


def run(args: argparse.Namespace) -> int:
    """Build, validate and write the BOM; 0 on success, 2 on unreadable input."""
    from mlsvs import __version__
    from mlsvs.errors import UsageError
    from mlsvs.supply.bom import build_bom
    from mlsvs.supply.cliutil import load_project
    from mlsvs.supply.manifests import parse_project

    loaded = load_project(args.project)
    manifests = None if args.no_libraries else parse_project(loaded.project)
    for problem in loaded.problems:
        print(f"mlsvs: warning: {problem.path}: {problem.message}", file=sys.stderr)
    for path, message in manifests.errors if manifests else ():
        print(f"mlsvs: warning: {path}: libraries left out: {message}", file=sys.stderr)
    try:
        bom = build_bom(loaded.project, manifests=manifests, tool_version=__version__)
    except OSError as exc:
        raise UsageError(f"cannot hash a model or dataset: {exc}") from None
    text = json.dumps(bom, indent=2, sort_keys=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        components = bom.get("components", [])
        count = len(components) if isinstance(components, list) else 0
        print(f"wrote {args.output} ({count} components, CycloneDX 1.6)", file=sys.stderr)
    return 0
