"""``mlsvs sign``: sign a model file or directory with OpenSSF model-signing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("model", type=Path, metavar="MODEL", help="model directory or file")
    parser.add_argument(
        "--key", type=Path, required=True, metavar="KEY.pem", help="EC private key (PEM)"
    )
    parser.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the key's password"
    )
    parser.add_argument(
        "--signature",
        type=Path,
        metavar="PATH",
        help="signature file (default: MODEL_DIR/model.sig or MODEL.sig)",
    )
    parser.add_argument(
        "--certificate",
        type=Path,
        metavar="CERT.pem",
        help="signing certificate (certificate method)",
    )
    parser.add_argument(
        "--certificate-chain",
        type=Path,
        action="append",
        default=[],
        metavar="CA.pem",
        help="intermediate/root certificates to embed (repeatable)",
    )
    parser.add_argument(
        "--hash", choices=("sha256", "blake3"), default="sha256", help="file digest"
    )


def run(args: argparse.Namespace) -> int:
    """Sign; 0 on success, 2 on bad input."""
    from mlsvs.errors import UsageError
    from mlsvs.supply.cliutil import default_signature
    from mlsvs.supply.signing import sign_model

    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            raise UsageError(f"environment variable {args.password_env} is not set")
    if not args.key.is_file():
        raise UsageError(f"{args.key}: private key not found")
    if args.certificate_chain and args.certificate is None:
        raise UsageError("--certificate-chain needs --certificate")
    signature = args.signature or default_signature(args.model)
    info = sign_model(
        args.model,
        signature,
        private_key=args.key,
        password=password,
        signing_certificate=args.certificate,
        certificate_chain=tuple(args.certificate_chain),
        algorithm=args.hash,
    )
    files = "1 file" if info.single_file else f"{len(info.resources)} file(s)"
    print(f"signed {files} of {args.model} -> {signature} (root sha256 {info.root_digest})")
    return 0
