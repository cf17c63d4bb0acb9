"""ML-BOM signed and verified before deployment (M4.4.4).

Each CycloneDX/SPDX BOM must carry a signature (a detached ``.sig``/``.sigstore.json``/bundle
next to it, or a CycloneDX JSF ``signature`` member), and every job that deploys must verify
that signature first, pinned to an authorised identity: ``cosign verify-blob`` or ``sigstore
verify`` with the certificate identity and issuer, ``cosign verify-blob --key``, or ``gpg
--verify`` against the BOM. The cryptographic check happens in that step at deploy time; this
check reads that it is there, blocking, and bound to the BOM.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._workflows import load_workflows, release_jobs
from mlsvs.checks.pipeline.gates import blocking_step, gate_path
from mlsvs.plugin import (
    BomDocument,
    DeploymentConfig,
    Project,
    Severity,
    SignatureFile,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_VERIFY = re.compile(
    r"\bcosign\s+verify-blob(?:-attestation)?\b|\bsigstore\s+verify\b|\bgpg\s+--verify\b"
    r"|\bmlsvs\s+verify-signature\b|\bopenssl\s+dgst\b.*-verify\b"
)
_IDENTITY = re.compile(
    r"--(?:certificate-identity(?:-regexp)?|cert-identity|identity)\b|--key\b|--keyring\b"
    r"|\bgpg\s+--verify\b|-verify\s+\S+\.pem"
)
_SIGNATURE_SUFFIXES = (".sig", ".sigstore.json", ".sigstore", ".bundle", ".asc", ".bundle.json")


def _signed(bom: BomDocument, project: Project) -> str:
    """How the BOM is signed ('' when it is not)."""
    names = {s.path for s in project.of_type(SignatureFile)}
    for suffix in _SIGNATURE_SUFFIXES:
        candidate = bom.path + suffix
        if candidate in names or (project.root / candidate).is_file():
            return candidate
    if bom.bom == "cyclonedx":
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return ""
        signature = data.get("signature") if isinstance(data, dict) else None
        if isinstance(signature, dict) and signature.get("value"):
            return f"{bom.path} (JSF signature, {signature.get('algorithm', '?')})"
    return ""


@check(
    id="MLC870",
    title="Every ML-BOM is signed and deploy jobs verify its signature against an identity",
    requirements=["M4.4.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(BomDocument, SignatureFile, DeploymentConfig),
    remediation="Sign the BOM (cosign sign-blob --bundle bom.cdx.json.sigstore.json "
    "bom.cdx.json) and, before each deploy step, run 'cosign verify-blob --bundle ... "
    "--certificate-identity ... --certificate-oidc-issuer ... bom.cdx.json'.",
)
def bom_verified_before_deploy(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Signature beside the BOM, and a blocking, identity-pinned verify step on the deploy path."""
    boms = project.of_type(BomDocument)
    if not boms:
        yield failed("no ML-BOM in the project: there is nothing signed for deployment to verify")
        return
    loaded = load_workflows(project)
    if loaded.gaps:
        yield not_verified("CI/CD definitions could not be read", loaded.gaps)
    releases = [(w, j) for w in loaded.workflows for j in release_jobs(w)]
    for bom in boms:
        problems: list[str] = []
        signature = _signed(bom, project)
        if not signature:
            problems.append(f"{bom.path} is not signed (no detached signature or JSF signature)")
        name = PurePosixPath(bom.path).name
        if not releases:
            problems.append("no deploy job in the CI definitions verifies it")
        for workflow, job in releases:
            steps = [s for _, s in gate_path(workflow, job) if blocking_step(s)]
            verifying = [s for s in steps if _VERIFY.search(s.run) and name in s.run]
            if not verifying:
                problems.append(
                    f"{workflow.path} job {job.id!r} deploys without verifying "
                    f"the signature of {name}"
                )
            elif not any(_IDENTITY.search(s.run) for s in verifying):
                problems.append(
                    f"{workflow.path} job {job.id!r} verifies {name} without "
                    "pinning the signer's identity or key"
                )
        facts = (("bom", bom.path), ("signature", signature or "none"))
        if problems:
            yield failed("; ".join(problems), key=bom.path, facts=facts)
        else:
            yield passed(
                f"{bom.path}: signed ({signature}) and verified before every deploy job",
                key=bom.path,
                facts=facts,
            )
