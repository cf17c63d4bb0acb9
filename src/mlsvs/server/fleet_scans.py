"""Fleet scan summaries (``mlsvs fleet scan --upload``): stored once per document, listed.

A summary is the ``mlsvs fleet scan -f json`` document: per-source counts, totals, the run's
counters and the worst findings. It is kept as sent (canonical JSON, identified by its SHA-256,
like results documents) with the totals denormalised for the listing.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - SQLAlchemy resolves Mapped[...] at runtime
import hashlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from mlsvs.server.api_routes import ERROR_RESPONSES
from mlsvs.server.auth import Need, Principal
from mlsvs.server.models import Base, LongText, Str, utcnow
from mlsvs.server.roles import Permission

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TOOL = "mlsvs fleet scan"
COUNTS = ("files", "clean", "findings", "not_verified", "errors")


class FleetScan(Base):
    """One uploaded fleet scan summary."""

    __tablename__ = "fleet_scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(Str(64), unique=True)
    scanner_version: Mapped[str] = mapped_column(Str(128))
    policy_version: Mapped[str] = mapped_column(Str(128))
    files: Mapped[int] = mapped_column(Integer)
    clean: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    not_verified: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(LongText)
    uploaded_by: Mapped[str] = mapped_column(Str(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FleetIngested(BaseModel):
    """Where an uploaded summary went."""

    fleet_scan_id: int
    created: bool
    digest: str
    url: str


class FleetScanOut(BaseModel):
    """A stored summary's headline."""

    id: int
    digest: str
    uploaded_at: str
    uploaded_by: str
    scanner_version: str
    policy_version: str
    totals: dict[str, int]
    sources: list[str]


def validate(data: object) -> dict[str, Any]:
    """``IngestError`` unless ``data`` is a fleet scan summary with integer totals."""
    from mlsvs.server.ingest import IngestError

    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise IngestError(f"not a fleet scan summary (expected tool {TOOL!r})")
    totals, sources = data.get("totals"), data.get("sources")
    if not isinstance(totals, dict) or not isinstance(sources, dict):
        raise IngestError("fleet scan summary without totals/sources objects")
    for key in COUNTS:
        value = totals.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise IngestError(f"fleet scan totals.{key} must be a non-negative integer")
    for key in ("scanner_version", "policy_version"):
        if not isinstance(data.get(key), str):
            raise IngestError(f"fleet scan summary without a string {key}")
    return data


def store(session: Session, data: object, uploaded_by: str) -> tuple[int, bool, str]:
    """(id, created, digest); the same document twice is stored once. The caller commits."""
    from sqlalchemy import select

    from mlsvs.server.audit import record
    from mlsvs.server.ingest import canonical

    summary = validate(data)
    body = canonical(summary)
    digest = hashlib.sha256(body).hexdigest()
    existing = session.execute(select(FleetScan.id).where(FleetScan.digest == digest)).scalar()
    if existing is not None:
        return existing, False, digest
    totals = summary["totals"]
    row = FleetScan(
        digest=digest, scanner_version=summary["scanner_version"][:128],
        policy_version=summary["policy_version"][:128], document=body.decode("utf-8"),
        uploaded_by=uploaded_by, **{k: int(totals.get(k, 0)) for k in COUNTS},
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, uploaded_by, "fleet_scan.ingest", f"fleet_scan:{row.id}", digest)
    return row.id, True, digest


router = APIRouter(prefix="/api/v1")
Reader = Annotated[Principal, Depends(Need(Permission.READ))]
Ingester = Annotated[Principal, Depends(Need(Permission.INGEST))]


@router.post("/fleet-scans", response_model=FleetIngested, responses={**ERROR_RESPONSES, 201: {}})
async def upload_fleet_scan(request: Request, me: Ingester) -> JSONResponse:
    """Store a fleet scan summary: 201 when new, 200 when the same document was stored before."""
    from mlsvs.server.ingest import parse_body

    data = parse_body(await request.body())
    scan_id, created, digest = _store(request, data, me.username)
    out = FleetIngested(
        fleet_scan_id=scan_id, created=created, digest=digest, url=f"/api/v1/fleet-scans/{scan_id}"
    )
    return JSONResponse(out.model_dump(), status_code=201 if created else 200)


def _store(request: Request, data: object, username: str) -> tuple[int, bool, str]:
    """``store`` in one transaction; a concurrent upload of the same document wins once."""
    from sqlalchemy.exc import IntegrityError

    for attempt in range(2):
        with request.app.state.sessions() as session:
            try:
                result = store(session, data, username)
                session.commit()
                return result
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


@router.get("/fleet-scans", response_model=list[FleetScanOut], responses=ERROR_RESPONSES)
def list_fleet_scans(request: Request, me: Reader) -> list[FleetScanOut]:
    """Stored summaries, newest first (at most 200)."""
    import json

    from sqlalchemy import select

    with request.app.state.sessions() as session:
        rows = session.scalars(select(FleetScan).order_by(FleetScan.id.desc()).limit(200)).all()
        return [
            FleetScanOut(
                id=r.id,
                digest=r.digest,
                uploaded_at=r.uploaded_at.isoformat(),
                uploaded_by=r.uploaded_by,
                scanner_version=r.scanner_version,
                policy_version=r.policy_version,
                totals={k: getattr(r, k) for k in COUNTS},
                sources=sorted(json.loads(r.document).get("sources", {})),
            )
            for r in rows
        ]


@router.get("/fleet-scans/{scan_id}", responses=ERROR_RESPONSES)
def get_fleet_scan(request: Request, me: Reader, scan_id: int) -> JSONResponse:
    """The stored summary as uploaded (404 when unknown)."""
    import json

    from fastapi import HTTPException

    with request.app.state.sessions() as session:
        row = session.get(FleetScan, scan_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no such fleet scan")
        return JSONResponse(json.loads(row.document))
