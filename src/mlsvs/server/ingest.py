"""Store one results document: validated, against a known catalog, idempotent per digest."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mlsvs.model.assessment import Assessment
    from mlsvs.model.catalog import Standard


class IngestError(MlsvsError):
    """The document is malformed or was made against a catalog this server does not know."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingested:
    """Where a document went."""

    run_id: int
    system: str
    created: bool
    """False when the same document (same digest) was already stored."""
    digest: str


def canonical(data: object) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace (the digest's input)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def document_digest(data: object) -> str:
    """SHA-256 of the canonical document: the run's identity."""
    return hashlib.sha256(canonical(data)).hexdigest()


@functools.cache
def known_versions() -> frozenset[str]:
    """The catalog versions bundled with this server (read once per process)."""
    from mlsvs.catalog.loader import bundled_versions

    return frozenset(bundled_versions())


@functools.lru_cache(maxsize=8)
def standard_for(version: str | None = None) -> Standard:
    """A bundled standard, cached per process (``load_standard`` re-reads the version list)."""
    from mlsvs.catalog import load_standard

    return load_standard(version)


def parse_document(data: object) -> Assessment:
    """The assessment, or ``IngestError`` (malformed, unknown or altered catalog)."""
    from mlsvs.render.json import ResultsError, parse_assessment

    try:
        assessment = parse_assessment(data, source="upload")
    except ResultsError as exc:
        raise IngestError(exc.message) from None
    version = assessment.standard.version
    if assessment.standard.key != "mlsvs" or version not in known_versions():
        raise IngestError(
            f"unknown catalog {assessment.standard.key} {version} (this server knows "
            f"{', '.join(sorted(known_versions()))})"
        )
    standard = standard_for(version)
    if standard.digest != assessment.standard.digest:
        raise IngestError(
            f"catalog {version} digest {assessment.standard.digest[:12]} does not match this "
            f"server's {standard.digest[:12]} (modified catalog?)"
        )
    unknown = [
        v.requirement for v in assessment.verdicts if v.requirement not in standard.requirements
    ]
    if unknown:
        raise IngestError(f"verdict for {unknown[0]}, not a requirement of {version}")
    return assessment


def ingest(session: Session, data: object, *, uploaded_by: str) -> Ingested:
    """Validate and store ``data``; the caller commits. Same digest twice -> the first run."""
    from sqlalchemy import insert, select

    from mlsvs.server.models import Base, Run, System, no_nul

    body = canonical(data)
    digest = hashlib.sha256(body).hexdigest()
    existing = session.execute(select(Run.id, Run.system_id).where(Run.digest == digest)).first()
    if existing is not None:
        known = session.execute(select(System.name).where(System.id == existing.system_id))
        return Ingested(run_id=existing.id, system=known.scalar_one(), created=False, digest=digest)
    assessment = parse_document(data)
    standard = standard_for(assessment.standard.version)
    name = str(no_nul(assessment.project.name)).strip() or "(unnamed)"
    system = session.execute(select(System).where(System.name == name)).scalar_one_or_none()
    if system is None:
        system = System(name=name[:200])
        session.add(system)
        session.flush()
    counts = Counter(v.verdict.value for v in assessment.verdicts)
    by_chapter: dict[str, Counter[str]] = {}
    for v in assessment.verdicts:
        chapter = standard.requirements[v.requirement].chapter
        by_chapter.setdefault(chapter, Counter())[v.verdict.value] += 1
    achieved = int(assessment.achieved_level) if assessment.achieved_level is not None else 0
    run = Run(
        system_id=system.id,
        digest=digest,
        standard_version=assessment.standard.version,
        standard_digest=assessment.standard.digest,
        tool_version=assessment.tool.version[:64],
        target_level=int(assessment.target_level),
        achieved_level=achieved,
        traits=",".join(assessment.project.traits),
        started_at=assessment.started_at,
        finished_at=assessment.finished_at,
        uploaded_by=uploaded_by,
        counts=",".join(f"{k}={n}" for k, n in sorted(counts.items())),
        chapter_counts=json.dumps({c: dict(n) for c, n in by_chapter.items()}, sort_keys=True),
        document=gzip.compress(body, compresslevel=1, mtime=0),
    )
    session.add(run)
    session.flush()
    rows: list[dict[str, Any]] = [
        {
            "run_id": run.id,
            "requirement": v.requirement,
            "chapter": standard.requirements[v.requirement].chapter,
            "level": int(v.level),
            "verdict": v.verdict.value,
            "basis": v.basis.value,
            "reason": v.reasons[0][:2000] if v.reasons else "",
        }
        for v in assessment.verdicts
    ]
    if rows:
        session.connection().execute(insert(Base.metadata.tables["verdicts"]), rows)
    failing = [
        {
            "run_id": run.id,
            "fingerprint": f.id,
            "check_id": f.check,
            "status": f.status.value,
            "severity": f.severity.value,
            "requirements": ",".join(f.requirements),
            "path": f.target.path[:2000],
            "message": f.message[:4000],
            "waiver": f.waiver or "",
        }
        for f in assessment.findings
        if f.status.value in {"fail", "error"}
    ]
    if failing:
        session.connection().execute(insert(Base.metadata.tables["findings"]), failing)
    attested = [
        {
            "run_id": run.id,
            "requirement": a.requirement,
            "claim": a.claim.value,
            "validity": a.validity.value,
            "source": a.source,
            "attested_by": a.attested_by.name if a.attested_by else "",
            "expires": a.expires,
        }
        for a in assessment.attestations
    ]
    if attested:
        session.connection().execute(insert(Base.metadata.tables["run_attestations"]), attested)
    newest = system.latest_finished
    if not newest or assessment.finished_at >= newest:
        system.latest_run_id = run.id
        system.latest_level = achieved
        system.latest_target = int(assessment.target_level)
        system.latest_finished = assessment.finished_at
    system.run_count += 1
    return Ingested(run_id=run.id, system=system.name, created=True, digest=digest)


def load_document(blob: bytes) -> Assessment:
    """A stored run's assessment (already validated at ingest)."""
    from mlsvs.render.json import parse_assessment

    return parse_assessment(json.loads(gzip.decompress(blob)), source="stored run")
