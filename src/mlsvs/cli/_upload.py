"""``mlsvs verify --upload URL``: the option, and the upload after the run."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment


def add_upload_options(parser: argparse.ArgumentParser) -> None:
    """``--upload URL`` and ``--upload-token``."""
    parser.add_argument(
        "--upload",
        metavar="URL",
        help="upload the results to an mlsvs server after the run (token: --upload-token or "
        "$MLSVS_SERVER_TOKEN)",
    )
    parser.add_argument("--upload-token", metavar="TOKEN", help=argparse.SUPPRESS)


def upload_if_asked(args: argparse.Namespace, assessment: Assessment) -> None:
    """Upload a complete run when ``--upload`` was given (never a partial one)."""
    url = getattr(args, "upload", None)
    if not url:
        return
    if assessment.interrupted:
        print("mlsvs: partial run not uploaded", file=sys.stderr)
        return
    from mlsvs.render.json import dumps
    from mlsvs.server.client import resolve_token, upload

    result = upload(url, dumps(assessment).encode("utf-8"), resolve_token(args.upload_token))
    state = "uploaded" if result.created else "already on the server:"
    print(f"mlsvs: {state} run {result.run_id} of {result.system}: {result.url}", file=sys.stderr)
