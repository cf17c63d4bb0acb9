"""``mlsvs evidence pack``: bind the results and evidence to the delivered files, sign, write.

The statement is an in-toto Statement v1 (``in_toto_attestation``), signed in a DSSE envelope
(``securesystemslib.dsse``); nothing here builds an envelope or a signature by hand.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.errors import MlsvsError
from mlsvs.procurement.layout import (
    ENVELOPE,
    MAX_BLOB,
    PACKAGE_VERSION,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    SIGSTORE_BUNDLE,
    blob_name,
    safe_relative,
)
from mlsvs.util.hashing import sha256_file

if TYPE_CHECKING:
    from pathlib import Path

    from securesystemslib.signer import Signer

    from mlsvs.model.assessment import Assessment

SUBJECT_KINDS = ("model", "dataset")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class PackError(MlsvsError):
    """The package cannot be made honestly (files changed since verify, missing evidence)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Packed:
    """What was written."""

    path: str
    subjects: int
    files: int
    keyid: str
    sigstore: bool = False


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _read(root: Path, rel: str, what: str) -> bytes:
    if not safe_relative(rel):
        raise PackError(f"{what} path {rel!r} is not a plain relative path")
    path = root / rel
    try:
        if path.stat().st_size > MAX_BLOB:
            raise PackError(f"{what} {rel} is larger than {MAX_BLOB // 2**20} MiB")
        return path.read_bytes()
    except FileNotFoundError:
        raise PackError(f"{what} {rel} is missing under {root}") from None
    except OSError as exc:
        raise PackError(f"cannot read {what} {rel}: {exc.strerror or exc}") from None


def _subjects(assessment: Assessment, project: Path) -> list[tuple[str, str, str]]:
    subjects = []
    for record in assessment.artifacts:
        if record.kind not in SUBJECT_KINDS:
            continue
        if not record.sha256:
            raise PackError(
                f"the results hold no digest for the {record.kind} {record.path}; "
                "it cannot be bound to the package"
            )
        if not safe_relative(record.path):
            raise PackError(f"{record.kind} path {record.path!r} is not a plain relative path")
        try:
            now = sha256_file(project / record.path)
        except OSError as exc:
            raise PackError(f"cannot hash {record.path}: {exc.strerror or exc}") from None
        if now != record.sha256:
            raise PackError(
                f"{record.path} changed since mlsvs verify ran (results: sha256:"
                f"{record.sha256[:12]}…, now sha256:{now[:12]}…): re-run mlsvs verify"
            )
        subjects.append((record.path, record.sha256, record.kind))
    if not subjects:
        raise PackError("the results list no model or dataset file to bind the evidence to")
    return subjects


def build_predicate(
    assessment: Assessment,
    results: bytes,
    project: Path,
    blobs: dict[str, bytes],
    *,
    extra_boms: tuple[Path, ...] = (),
    extra_signatures: tuple[Path, ...] = (),
    tool: str,
) -> dict[str, Any]:
    """The predicate, adding every file it names to ``blobs`` (digest -> content)."""
    from mlsvs.model.attestation import Validity

    def add(data: bytes) -> dict[str, str]:
        digest = _digest(data)
        blobs[digest] = data
        return {"sha256": digest}

    attestations = []
    for att in assessment.attestations:
        if att.validity is not Validity.VALID:
            continue  # an invalid attestation counts for nothing; it is not delivered
        evidence: list[dict[str, Any]] = []
        for ev in att.evidence:
            if ev.path is None:
                evidence.append({"url": ev.url or "", "description": ev.description})
                continue
            data = _read(project, ev.path, f"evidence of {att.requirement}")
            digest = _digest(data)
            if ev.sha256 and digest != ev.sha256.removeprefix("sha256:"):
                raise PackError(
                    f"evidence {ev.path} of {att.requirement} changed since it was attested "
                    "and since mlsvs verify ran: re-attest and re-run verify"
                )
            evidence.append({"path": ev.path, "digest": add(data), "description": ev.description})
        attestations.append(
            {
                "requirement": att.requirement,
                "source": att.source,
                "digest": add(_read(project, att.source, "attestation")),
                "evidence": evidence,
            }
        )
    files: dict[str, list[dict[str, Any]]] = {"bom": [], "signature": []}
    for record in assessment.artifacts:
        if record.kind in files:
            data = _read(project, record.path, record.kind)
            files[record.kind].append({"path": record.path, "digest": add(data)})
    for kind, extra in (("bom", extra_boms), ("signature", extra_signatures)):
        for path in extra:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise PackError(f"cannot read {kind} {path}: {exc.strerror or exc}") from None
            files[kind].append({"path": path.name, "digest": add(data)})
    return {
        "packageVersion": PACKAGE_VERSION,
        "tool": tool,
        "assessment": {
            "results": {"digest": add(results), "mediaType": "application/json"},
            "standard": {
                "key": assessment.standard.key,
                "version": assessment.standard.version,
                "digest": assessment.standard.digest,
            },
            "targetLevel": str(assessment.target_level),
            "achievedLevel": str(assessment.achieved_level) if assessment.achieved_level else "",
            "finishedAt": assessment.finished_at,
            "project": assessment.project.name,
        },
        "attestations": attestations,
        "bom": files["bom"],
        "signatures": files["signature"],
    }


def statement_json(subjects: list[tuple[str, str, str]], predicate: dict[str, Any]) -> bytes:
    """The in-toto Statement v1 as canonical-ish JSON bytes (validated before use)."""
    from google.protobuf import json_format
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement

    described = [
        ResourceDescriptor(name=name, digest={"sha256": digest}, annotations={"kind": kind}).pb
        for name, digest, kind in subjects
    ]
    statement = Statement(described, PREDICATE_TYPE, predicate)
    statement.validate()
    data = json_format.MessageToDict(statement.pb)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def sign_envelope(payload: bytes, signer: Signer) -> dict[str, Any]:
    """A DSSE envelope over ``payload`` signed by ``signer``."""
    from securesystemslib.dsse import Envelope

    envelope = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    envelope.sign(signer)
    return envelope.to_dict()


def sigstore_bundle(payload: bytes) -> bytes:
    """Sign the statement with Sigstore (keyless: needs network and an OIDC identity, taken
    from the environment, e.g. CI, or obtained interactively)."""
    import logging

    try:
        from sigstore import dsse as sigstore_dsse
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import IdentityToken, Issuer, detect_credential
        from sigstore.sign import SigningContext
    except ImportError as exc:
        raise PackError(f"--sigstore needs the sigstore package ({exc.name})") from None
    quiet = [logging.getLogger(name) for name in ("urllib3", "tuf", "sigstore")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)  # retries are summarised in the one-line error
    try:
        config = ClientTrustConfig.production()
        context = SigningContext.from_trust_config(config)
        ambient = detect_credential()
        identity = (
            IdentityToken(ambient)
            if ambient
            else Issuer(config.signing_config.get_oidc_url()).identity_token()
        )
        with context.signer(identity) as signer:
            bundle = signer.sign_dsse(sigstore_dsse.Statement(payload))
    except Exception as exc:  # noqa: BLE001 - network, TUF, OIDC: one line for the user
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PackError(
            "Sigstore signing failed (it needs network access to Sigstore and an OIDC "
            f"identity; key signing works offline): {first[:200]}"
        ) from None
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    return bundle.to_json().encode()


def write_package(
    output: Path, envelope: dict[str, Any], blobs: dict[str, bytes], bundle: bytes | None
) -> None:
    """Write the ZIP (deterministic member order and times), atomically."""
    from mlsvs.util.atomic import atomic_open

    def member(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    try:
        with atomic_open(output, binary=True) as raw, zipfile.ZipFile(raw, "w") as archive:
            archive.writestr(member(ENVELOPE), json.dumps(envelope, indent=2) + "\n")
            if bundle is not None:
                archive.writestr(member(SIGSTORE_BUNDLE), bundle)
            for digest in sorted(blobs):
                archive.writestr(member(blob_name(digest)), blobs[digest])
    except OSError as exc:
        raise PackError(f"cannot write {output}: {exc.strerror or exc}") from None


def pack(
    results_path: Path,
    project: Path,
    signer: Signer,
    output: Path,
    *,
    extra_boms: tuple[Path, ...] = (),
    extra_signatures: tuple[Path, ...] = (),
    sigstore: bool = False,
    tool: str,
) -> Packed:
    """Build, sign and write an evidence package for a finished ``mlsvs verify`` run."""
    from mlsvs.render.json import parse_assessment

    try:
        results = results_path.read_bytes()
        data = json.loads(results)
    except OSError as exc:
        raise PackError(
            f"cannot read results: {exc.strerror or exc}", path=str(results_path)
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackError(f"results are not JSON: {exc}", path=str(results_path)) from None
    assessment = parse_assessment(data, source=str(results_path))
    if assessment.interrupted:
        raise PackError("the results are partial (the run was interrupted): re-run mlsvs verify")
    subjects = _subjects(assessment, project)
    blobs: dict[str, bytes] = {}
    predicate = build_predicate(
        assessment,
        results,
        project,
        blobs,
        extra_boms=extra_boms,
        extra_signatures=extra_signatures,
        tool=tool,
    )
    payload = statement_json(subjects, predicate)
    bundle = sigstore_bundle(payload) if sigstore else None
    envelope = sign_envelope(payload, signer)
    write_package(output, envelope, blobs, bundle)
    return Packed(
        path=str(output),
        subjects=len(subjects),
        files=len(blobs),
        keyid=str(signer.public_key.keyid),
        sigstore=bundle is not None,
    )
