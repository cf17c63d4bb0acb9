"""The auditor's workflow: what an assessment lists, recording, four-eyes sign-off, export."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.errors import MlsvsError
from mlsvs.model.catalog import Requirement, Verification, id_sort_key

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from mlsvs.model.catalog import Standard
    from mlsvs.server.models import AssessmentItem, AssessmentRow, EvidenceFile

EXPORT_DIR = "attestations/mlsvs-server"
EVIDENCE_DIR = "mlsvs-evidence"
"""Evidence sits outside the attestation directory: verify reads every YAML file under it."""
_AUTOMATED_ENOUGH = frozenset({"pass", "fail", "not_applicable"})


class WorkflowError(MlsvsError):
    """A workflow step that is not allowed now (four-eyes, locked assessment, bad input)."""


@enum.unique
class Status(enum.StrEnum):
    """Life cycle of an assessment."""

    OPEN = "open"
    SIGNED_OFF = "signed_off"


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One applicable requirement in an assessment."""

    requirement: Requirement
    automated: str
    """Verdict of the assessed run."""
    basis: str
    reason: str
    needs_person: bool
    """Attestation-verified, hybrid, or not settled by the automated checks."""


def applicable(standard: Standard, traits: frozenset[str]) -> list[Requirement]:
    """Requirements whose applicability tags (own and chapter's) are all among ``traits``."""
    out = [
        req
        for chapter in standard.chapters
        for req in chapter.requirements
        if (req.applicability | chapter.applicability) <= traits
    ]
    return sorted(out, key=lambda r: (int(r.level), id_sort_key(r.id)))


def lines(
    standard: Standard, traits: frozenset[str], verdicts: dict[str, tuple[str, str, str]]
) -> list[Line]:
    """Every applicable requirement with the run's verdict, basis and first reason."""
    out = []
    for req in applicable(standard, traits):
        verdict, basis, reason = verdicts.get(req.id, ("not_verified", "none", "not in the run"))
        person = req.verification in {Verification.ATTEST, Verification.HYBRID} or (
            verdict not in _AUTOMATED_ENOUGH
        )
        out.append(
            Line(
                requirement=req, automated=verdict, basis=basis, reason=reason, needs_person=person
            )
        )
    return out


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name without directories or odd characters (kept for display and export)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = _SAFE_NAME.sub("_", base).strip("._") or "evidence"
    return clean[:120]


def store_blob(blob_dir: Path, data: bytes) -> str:
    """Store ``data`` content-addressed (``ab/abcdef…``); returns its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = blob_dir / digest[:2] / digest
    if not target.exists():
        from mlsvs.util.atomic import atomic_open

        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(target, binary=True) as handle:
            handle.write(data)
    return digest


def read_blob(blob_dir: Path, digest: str) -> bytes:
    """A stored blob, re-hashed: ``WorkflowError`` when missing or altered on disk."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise WorkflowError("not a SHA-256 digest")
    path = blob_dir / digest[:2] / digest
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkflowError(f"evidence {digest[:12]} is missing from the store") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise WorkflowError(f"evidence {digest[:12]} was altered on disk")
    return data


def sign_off(session: Session, assessment: AssessmentRow, signer: str) -> None:
    """Four-eyes: the signer recorded none of the items and did not open the assessment."""
    from sqlalchemy import select

    from mlsvs.server.audit import record
    from mlsvs.server.models import AssessmentItem, utcnow

    if assessment.status != Status.OPEN:
        raise WorkflowError("this assessment is already signed off")
    recorders = set(
        session.execute(
            select(AssessmentItem.recorded_by).where(AssessmentItem.assessment_id == assessment.id)
        ).scalars()
    )
    if not recorders:
        raise WorkflowError("nothing recorded yet: record at least one verdict first")
    if signer in recorders or signer == assessment.created_by:
        raise WorkflowError(
            "four-eyes: sign-off must come from someone who neither opened the assessment nor "
            "recorded any of its verdicts"
        )
    assessment.status = Status.SIGNED_OFF
    assessment.signed_off_by = signer
    assessment.signed_off_at = utcnow()
    record(session, signer, "assessment.sign_off", f"assessment {assessment.id}")


def attestation_yaml(
    item: AssessmentItem,
    evidence: list[EvidenceFile],
    assessment: AssessmentRow,
    standard: Standard,
    system: str,
) -> str:
    """One attestation file in the format ``mlsvs verify`` reads (engine.attestations)."""
    import yaml

    if assessment.signed_off_at is None:
        raise WorkflowError("only signed-off assessments export attestations")
    signed = assessment.signed_off_at.date()
    req = standard.requirement(item.requirement)
    data: dict[str, object] = {
        "requirement": item.requirement,
        "claim": item.claim,
        "statement": item.statement,
        "justification": item.justification or None,
        "evidence": [
            {
                "path": f"{EVIDENCE_DIR}/{e.sha256}/{e.filename}",
                "sha256": e.sha256,
                "description": f"uploaded by {e.uploaded_by}",
            }
            for e in evidence
        ],
        "attested_by": {
            "name": item.recorded_by,
            "role": f"auditor; signed off by {assessment.signed_off_by}",
        },
        "date": signed,
        "expires": signed + dt.timedelta(days=assessment.valid_days),
    }
    head = (
        f"# {req.cite(standard.version)}: {req.title}\n"
        f"# Exported by mlsvs server: {system}, assessment {assessment.id}, "
        f"signed off by {assessment.signed_off_by} on {signed.isoformat()}\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return head + body


def export_zip(
    session: Session, assessment: AssessmentRow, standard: Standard, system: str, blob_dir: Path
) -> bytes:
    """The evidence package: attestation files, evidence files and a Markdown summary."""
    import zipfile

    from sqlalchemy import select

    from mlsvs.server.models import AssessmentItem, EvidenceFile

    items = list(
        session.execute(
            select(AssessmentItem)
            .where(AssessmentItem.assessment_id == assessment.id)
            .order_by(AssessmentItem.requirement)
        ).scalars()
    )
    buffer = io.BytesIO()
    summary = [
        f"# Assessment {assessment.id} of {system}",
        "",
        f"Opened by {assessment.created_by}; signed off by {assessment.signed_off_by} on "
        f"{assessment.signed_off_at.isoformat() if assessment.signed_off_at else '-'}.",
        "",
        "Unpack in the project root and run `mlsvs verify --attestations attestations`.",
        "",
        "| Requirement | Claim | Recorded by | Evidence |",
        "|---|---|---|---|",
    ]
    fixed = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            files = list(
                session.execute(
                    select(EvidenceFile).where(EvidenceFile.item_id == item.id)
                ).scalars()
            )
            text = attestation_yaml(item, files, assessment, standard, system)
            archive.writestr(zipfile.ZipInfo(f"{EXPORT_DIR}/{item.requirement}.yaml", fixed), text)
            for f in files:
                info = zipfile.ZipInfo(f"{EVIDENCE_DIR}/{f.sha256}/{f.filename}", fixed)
                archive.writestr(info, read_blob(blob_dir, f.sha256))
            names = ", ".join(f"{f.filename} ({f.sha256[:12]})" for f in files) or "-"
            summary.append(f"| {item.requirement} | {item.claim} | {item.recorded_by} | {names} |")
        archive.writestr(
            zipfile.ZipInfo(f"mlsvs-assessment-{assessment.id}.md", fixed),
            "\n".join(summary) + "\n",
        )
    return buffer.getvalue()
