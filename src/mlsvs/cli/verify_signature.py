"""``mlsvs verify-signature``: verify an OpenSSF model-signing signature over a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("model", type=Path, metavar="MODEL", help="model directory or file")
    parser.add_argument(
        "--signature",
        type=Path,
        metavar="PATH",
        help="signature file (default: MODEL_DIR/model.sig or MODEL.sig)",
    )
    trust = parser.add_mutually_exclusive_group(required=True)
    trust.add_argument("--public-key", type=Path, metavar="PUB.pem", help="EC public key (PEM)")
    trust.add_argument(
        "--certificate-chain",
        type=Path,
        action="append",
        metavar="CA.pem",
        help="trusted certificate chain (repeatable)",
    )
    trust.add_argument("--identity", metavar="ID", help="expected Sigstore signer identity")
    parser.add_argument("--issuer", metavar="URL", help="expected OIDC issuer (with --identity)")
    parser.add_argument(
        "--trust-config",
        type=Path,
        metavar="FILE",
        help="pinned Sigstore ClientTrustConfig JSON (offline verification)",
    )
    parser.add_argument(
        "--allow-network",
        action="store_true",
        help="let Sigstore verification fetch its trust root (TUF) when no --trust-config",
    )


def run(args: argparse.Namespace) -> int:
    """0 valid, 1 invalid (reasons printed), 2 unusable input."""
    from mlsvs.errors import UsageError
    from mlsvs.supply.cliutil import default_signature
    from mlsvs.supply.signing import Method, TrustConfig, verify_model

    if args.identity and not args.issuer:
        raise UsageError("--identity needs --issuer")
    if args.public_key:
        trust = TrustConfig(method=Method.KEY, public_key=args.public_key)
    elif args.certificate_chain:
        trust = TrustConfig(
            method=Method.CERTIFICATE, certificate_chain=tuple(args.certificate_chain)
        )
    else:
        trust = TrustConfig(
            method=Method.SIGSTORE,
            identity=args.identity,
            issuer=args.issuer,
            trust_config=args.trust_config,
        )
    signature = args.signature or default_signature(args.model)
    if not args.model.exists():
        raise UsageError(f"{args.model}: model not found")
    if not signature.is_file():
        raise UsageError(f"{signature}: signature file not found")
    result = verify_model(args.model, signature, trust, allow_network=args.allow_network)
    if result.ok:
        files = "1 file" if result.info.single_file else f"{len(result.info.resources)} file(s)"
        print(f"OK: {signature} is a valid {trust.method} signature over {files} of {args.model}")
        return 0
    print(f"INVALID: {signature} does not verify {args.model}:")
    for reason in result.reasons:
        print(f"  - {reason}")
    return 1
