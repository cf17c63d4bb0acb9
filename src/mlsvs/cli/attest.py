"""``mlsvs attest template|verify``: write attestation skeletons, re-check attestations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``template`` and ``verify``."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    template = sub.add_parser("template", help="print a commented attestation for a requirement")
    template.add_argument("requirement", metavar="ID", help="requirement ID, e.g. M1.3.1")
    template.add_argument(
        "--evidence",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="evidence file to list with its SHA-256 (repeatable)",
    )
    template.add_argument(
        "--root",
        type=Path,
        default=Path(),
        help="project root (evidence paths are written relative to it; default: .)",
    )
    template.add_argument("-o", "--output", type=Path, help="write to FILE instead of stdout")
    verify = sub.add_parser(
        "verify", help="recompute validity of every attestation (exit 1 if any is not valid)"
    )
    verify.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    verify.add_argument("-c", "--config", type=Path, help="configuration file")


def run(args: argparse.Namespace) -> int:
    """Template or verify."""
    import datetime as dt

    from mlsvs.api import load_catalog, load_config_for
    from mlsvs.engine.attestations import load_attestations, template
    from mlsvs.errors import UsageError
    from mlsvs.model.attestation import Validity

    today = dt.datetime.now(dt.UTC).date()
    if args.action == "template":
        standard = load_catalog()
        missing = [str(e) for e in args.evidence if not e.is_file()]
        if missing:
            raise UsageError(f"evidence file not found: {missing[0]}")
        try:
            text = template(
                args.requirement, standard, evidence=args.evidence, root=args.root, today=today
            )
        except KeyError:
            raise UsageError(
                f"unknown requirement {args.requirement!r} (see 'mlsvs catalog list')"
            ) from None
        if args.output:
            if args.output.exists():
                raise UsageError(f"{args.output} already exists: edit it, or remove it first")
            try:
                args.output.parent.mkdir(parents=True, exist_ok=True)
                args.output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
            print(f"mlsvs: wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    root = Path(args.path)
    config = load_config_for(root, args.config)
    standard = load_catalog(config.standard)
    loaded = load_attestations(root, config.attestations, standard, today=today)
    if not loaded.attestations:
        print(f"no attestation files under {', '.join(config.attestations)}")
        return 0
    for attestation in loaded.attestations:
        problems = "; ".join(attestation.problems)
        label = attestation.requirement or "?"
        print(
            f"{attestation.validity.value:<20} {label:<9} {attestation.claim.value:<15} "
            f"{attestation.source}" + (f"  ({problems})" if problems else "")
        )
    bad = [a for a in loaded.attestations if a.validity is not Validity.VALID]
    return 1 if bad else 0
