"""``mlsvs sign``: sign a model file or directory with OpenSSF model-signing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


BLAKE3_WARNING = (
    "mlsvs: warning: --hash blake3: the signature verifies only with a verifier that supports "
    "BLAKE3 (model-signing 1.1 or newer with the blake3 package, or mlsvs verify-signature); "
    "older and SHA-256-only verifiers, e.g. a stock 'model_signing verify' from before 1.1, "
    "reject it. Keep the default sha256 for signatures others must verify."
)


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
        "--hash",
        choices=("sha256", "blake3"),
        default="sha256",
        help="file digest (default sha256, which every model-signing verifier accepts; "
        "blake3 signatures verify only where the verifier supports BLAKE3)",
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
    if args.hash == "blake3":
        print(BLAKE3_WARNING, file=sys.stderr)
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
