"""``mlsvs push``: upload a results.json to an mlsvs server."""

from __future__ import annotations

import argparse  # noqa: TC003 - argparse objects are built here
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs push``."""
    parser.description = (
        "Upload a results.json written by 'mlsvs verify -f json:PATH' to an mlsvs server. "
        "The same document uploaded twice is stored once. The token needs the 'ingest' scope."
    )
    parser.add_argument("results", type=Path, help="results.json to upload")
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8400")
    parser.add_argument("--token", help="API token (default: $MLSVS_SERVER_TOKEN)")


def run(args: argparse.Namespace) -> int:
    """Validate locally, then upload."""
    from mlsvs.render.json import load_assessment
    from mlsvs.server.client import resolve_token, upload

    load_assessment(args.results)  # a malformed file fails here with its name, not remotely
    token = resolve_token(args.token)
    result = upload(args.url, args.results.read_bytes(), token)
    state = "stored" if result.created else "already stored"
    print(f"mlsvs: {state} run {result.run_id} of {result.system}: {result.url}", file=sys.stderr)
    return 0
