"""The JSON API (``/api/v1``), described by the OpenAPI document at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mlsvs.server.auth import Need, Principal
from mlsvs.server.params import PathId, QueryId  # noqa: TC001 - FastAPI reads annotations
from mlsvs.server.roles import Permission

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from mlsvs.server.ingest import Ingested

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, Depends(Need(Permission.READ))]
Ingester = Annotated[Principal, Depends(Need(Permission.INGEST))]
Anyone = Annotated[None, Depends(Need(Permission.PUBLIC))]


class Health(BaseModel):
    """Liveness and schema revision."""

    status: str
    version: str
    schema_revision: str | None


class IngestResult(BaseModel):
    """Where an uploaded document went."""

    run_id: int
    system: str
    created: bool
    digest: str
    url: str


class SystemOut(BaseModel):
    """A system and its current level."""

    id: int
    name: str
    level: str
    target: str
    runs: int
    latest_run_id: int | None
    latest_finished: str
    open_failures: int


class RunOut(BaseModel):
    """A run's summary."""

    id: int
    digest: str
    finished_at: str
    standard_version: str
    achieved_level: str
    target_level: str
    counts: dict[str, int]


class RequirementHit(BaseModel):
    """A requirement found by a search."""

    id: str
    level: str
    title: str
    chapter: str


class Problem(BaseModel):
    """An error."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    413: {"model": Problem},
    422: {"model": Problem},
}


@router.get("/health", response_model=Health)
def health(request: Request, _: Anyone) -> Health:
    """Liveness and the database schema revision."""
    from mlsvs import __version__
    from mlsvs.server.db import current_revision

    return Health(
        status="ok", version=__version__, schema_revision=current_revision(request.app.state.engine)
    )


_RESULTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "an mlsvs results.json (schemas/results.schema.json)",
                }
            }
        },
    }
}


@router.post(
    "/runs",
    response_model=IngestResult,
    responses={**ERROR_RESPONSES, 201: {"model": IngestResult}},
    openapi_extra=_RESULTS_BODY,
)
async def upload_run(request: Request, me: Ingester) -> JSONResponse:
    """Store a results document: 201 when new, 200 when the same document was stored before."""
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    # Parsing, validation and the inserts run on the thread pool: the event loop keeps
    # serving other requests while one document is stored.
    result = await run_in_threadpool(
        _parse_and_store, request.app.state.sessions, body, me.username
    )
    out = IngestResult(
        run_id=result.run_id,
        system=result.system,
        created=result.created,
        digest=result.digest,
        url=f"/runs/{result.run_id}",
    )
    return JSONResponse(out.model_dump(), status_code=201 if result.created else 200)


def _parse_and_store(factory: sessionmaker[Session], body: bytes, username: str) -> Ingested:
    """``parse_body`` then ``_store``."""
    from mlsvs.server.ingest import parse_body

    return _store(factory, parse_body(body), username)


def _store(factory: sessionmaker[Session], data: object, username: str) -> Ingested:
    """Ingest in one transaction; a concurrent upload of the same document wins once."""
    from sqlalchemy.exc import IntegrityError

    from mlsvs.server.ingest import ingest

    for attempt in range(2):
        with factory() as session:
            try:
                result = ingest(session, data, uploaded_by=username, actor=username)
                session.commit()
                return result
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


@router.get("/systems", response_model=list[SystemOut], responses=ERROR_RESPONSES)
def systems(
    request: Request, me: Reader, q: Annotated[str, Query(max_length=200)] = ""
) -> list[SystemOut]:
    """Every system with its current level."""
    from mlsvs.server.queries import inventory, level_label

    with request.app.state.sessions() as session:
        rows = inventory(session, search=q)
    return [
        SystemOut(
            id=r.id,
            name=r.name,
            level=level_label(r.level),
            target=f"L{r.target}",
            runs=r.runs,
            latest_run_id=r.latest_run_id,
            latest_finished=r.finished,
            open_failures=r.open_failures,
        )
        for r in rows
    ]


@router.get("/systems/{system_id}/runs", response_model=list[RunOut], responses=ERROR_RESPONSES)
def runs(
    request: Request,
    me: Reader,
    system_id: PathId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RunOut]:
    """The system's runs, newest first."""
    from starlette.exceptions import HTTPException

    from mlsvs.server.queries import get_system, level_label, system_runs

    with request.app.state.sessions() as session:
        if get_system(session, system_id) is None:
            raise HTTPException(404, "system not found")
        rows = system_runs(session, system_id, limit=limit)
    return [
        RunOut(
            id=r.id,
            digest=r.digest,
            finished_at=r.finished_at,
            standard_version=r.standard_version,
            achieved_level=level_label(r.achieved_level),
            target_level=f"L{r.target_level}",
            counts={k: int(v) for k, v in (p.split("=") for p in r.counts.split(",") if p)},
        )
        for r in rows
    ]


@router.get("/runs/{run_id}/diff", responses=ERROR_RESPONSES)
def diff(request: Request, me: Reader, run_id: PathId, against: QueryId = None) -> dict[str, Any]:
    """This run against the previous one (or ``against``), as ``mlsvs diff -f json`` writes it."""
    from starlette.exceptions import HTTPException

    from mlsvs.render.diff import diff_to_dict
    from mlsvs.server.diffs import compare
    from mlsvs.server.ingest import load_document
    from mlsvs.server.models import Run
    from mlsvs.server.queries import previous_run

    with request.app.state.sessions() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        old = session.get(Run, against) if against is not None else previous_run(session, run)
        if old is None or old.system_id != run.system_id:
            raise HTTPException(404, "no earlier run of this system to compare with")
        old_doc = session.get(Run, old.id).document
        result = compare(load_document(old_doc), load_document(run.document))
    return {"run": run_id, "against": old.id, **diff_to_dict(result)}


@router.get("/standard/search", response_model=list[RequirementHit], responses=ERROR_RESPONSES)
def search_standard(
    request: Request,
    me: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    version: Annotated[str, Query(max_length=32)] = "",
) -> list[RequirementHit]:
    """Requirements matching every word of ``q``."""
    from starlette.exceptions import HTTPException

    from mlsvs.server.ingest import known_versions
    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.search import search

    if version and version not in known_versions():
        raise HTTPException(404, "unknown standard version")
    standard = load_standard(version or None)
    return [
        RequirementHit(id=r.id, level=str(r.level), title=r.title, chapter=r.chapter)
        for r in search(standard, q)
    ]
