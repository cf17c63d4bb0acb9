"""``mlsvs evidence``: evidence packages (supplier: ``pack``; buyer: ``verify``).

``verify`` exit codes: 0 accepted, 1 not accepted, 2 could not verify (usage error, unreadable
package, annex or key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.cli._texts import add_format_option, report_written, write_texts
from mlsvs.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

REPORT_FORMATS = ("terminal", "json", "markdown", "html", "response-csv", "response-json")


def configure(parser: argparse.ArgumentParser) -> None:
    """Sub-commands ``pack`` and ``verify``."""
    parser.description = (
        "Evidence packages: the supplier packs the signed results and evidence for the "
        "delivered files; the buyer verifies a package against the contract annex and the "
        "files actually delivered, and gets an acceptance report."
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    pack = sub.add_parser(
        "pack",
        help="bundle results, attestations, evidence, ML-BOM and signatures; sign with a key",
        description="Bind a finished `mlsvs verify` run to the model and dataset files it "
        "assessed: an in-toto Statement (subjects: their SHA-256 digests; predicate: the MLSVS "
        "assessment) in a DSSE envelope signed with KEY, and every file it names addressed "
        "by SHA-256, in one ZIP. Refuses when a file changed since verify ran.",
    )
    pack.add_argument("--results", type=Path, required=True, help="results.json of mlsvs verify")
    pack.add_argument(
        "--project", type=Path, default=Path(), help="project root verify ran on (default: .)"
    )
    pack.add_argument(
        "--key",
        type=Path,
        required=True,
        help="PEM private key (Ed25519, ECDSA, RSA; password from MLSVS_KEY_PASSWORD)",
    )
    pack.add_argument("-o", "--output", type=Path, required=True, help="package ZIP to write")
    pack.add_argument("--bom", type=Path, action="append", default=[], help="extra ML-BOM file")
    pack.add_argument(
        "--signature",
        type=Path,
        action="append",
        default=[],
        help="extra model-signing signature file (the ones discovery found are included)",
    )
    pack.add_argument(
        "--sigstore",
        action="store_true",
        help="also sign keyless with Sigstore (needs network and an OIDC identity)",
    )
    verify = sub.add_parser(
        "verify",
        help="check a package against the annex and the delivered files; write the report",
        description="Verify the signature with the supplier's public KEY, every subject digest "
        "against the files in DIR, that the results meet the annex's standard, level, scope "
        "and parameters, that every evidence digest matches and nothing has expired; decide "
        "accepted / rejected / missing per requirement. Exit 0 accepted, 1 not accepted, 2 "
        "could not verify.",
    )
    verify.add_argument("package", type=Path, help="the package ZIP (or an unpacked directory)")
    verify.add_argument(
        "--annex", type=Path, required=True, help="annex.json (procurement -f json)"
    )
    verify.add_argument(
        "--delivered", type=Path, required=True, metavar="DIR", help="the delivered files"
    )
    verify.add_argument(
        "--key", type=Path, required=True, help="the supplier's PEM public key or certificate"
    )
    add_format_option(verify, REPORT_FORMATS, "terminal")
    verify.add_argument("--today", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Dispatch to pack or verify."""
    if args.action == "pack":
        return _pack(args)
    return _verify(args)


def _pack(args: argparse.Namespace) -> int:
    from mlsvs import __version__
    from mlsvs.procurement.keys import load_signer
    from mlsvs.procurement.package import pack
    from mlsvs.util.text import safe_path

    if not args.project.is_dir():
        raise UsageError(f"--project {args.project} is not a directory")
    signer = load_signer(args.key)
    packed = pack(
        args.results,
        args.project,
        signer,
        args.output,
        extra_boms=tuple(args.bom),
        extra_signatures=tuple(args.signature),
        sigstore=args.sigstore,
        tool=f"mlsvs {__version__}",
    )
    print(
        f"mlsvs: wrote {safe_path(packed.path)}: {packed.subjects} subject(s), {packed.files} "
        f"file(s), signed by key {packed.keyid[:16]}…"
        + (" and Sigstore" if packed.sigstore else ""),
        file=sys.stderr,
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    import hashlib

    from mlsvs.procurement.acceptance import verify_package
    from mlsvs.procurement.annex_json import load_annex
    from mlsvs.procurement.keys import load_public_key
    from mlsvs.procurement.package_read import read_package

    today = dt.datetime.now(dt.UTC).date()
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            raise UsageError(f"--today must be YYYY-MM-DD, got {args.today!r}") from None
    if not args.delivered.is_dir():
        raise UsageError(f"--delivered {args.delivered} is not a directory")
    annex = load_annex(args.annex)
    key = load_public_key(args.key)
    files = read_package(args.package)
    report = verify_package(
        files,
        annex,
        key,
        args.delivered,
        today=today,
        annex_sha256=hashlib.sha256(args.annex.read_bytes()).hexdigest(),
    )
    written = write_texts(args.formats, _makers(report), default="terminal")
    report_written(written)
    return 0 if report.accepted else 1


def _makers(report: object) -> dict[str, Callable[[], str]]:
    from mlsvs.procurement.acceptance import AcceptanceReport
    from mlsvs.procurement.report import (
        report_html,
        report_json,
        report_markdown,
        response_form_csv,
        response_form_json,
    )

    assert isinstance(report, AcceptanceReport)  # noqa: S101 - typed loosely for lazy imports
    return {
        "terminal": lambda: _terminal(report),
        "json": lambda: report_json(report),
        "markdown": lambda: report_markdown(report),
        "html": lambda: report_html(report),
        "response-csv": lambda: response_form_csv(report),
        "response-json": lambda: response_form_json(report),
    }


def _terminal(report: object) -> str:
    from mlsvs.procurement.acceptance import AcceptanceDecision, AcceptanceReport
    from mlsvs.util.text import safe_text

    assert isinstance(report, AcceptanceReport)  # noqa: S101
    lines = [
        f"{'ok' if check.ok else 'FAILED':>7}  {check.name}: {safe_text(check.detail)}"
        for check in report.package_checks
    ]
    lines.extend(
        f"{d.decision.value:>9}  {d.requirement}: {safe_text('; '.join(d.reasons))}"
        for d in report.requirements
        if d.decision is not AcceptanceDecision.ACCEPTED
    )
    c = report.counts
    lines.append(
        f"{'ACCEPTED' if report.accepted else 'NOT ACCEPTED'}: {c['accepted']} accepted, "
        f"{c['rejected']} rejected, {c['missing']} missing of {len(report.requirements)}"
    )
    return "\n".join(lines) + "\n"
