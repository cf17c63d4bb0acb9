"""Server-rendered pages (Jinja2, autoescaped, no scripts): every route declares its ``Need``."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from mlsvs.server.auth import Need, Principal
from mlsvs.server.params import PageNumber, PathId, QueryId  # noqa: TC001 - FastAPI reads annotations
from mlsvs.server.roles import Permission, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mlsvs.server.models import AssessmentRow, Run, System

router = APIRouter()

Reader = Annotated[Principal, Depends(Need(Permission.READ))]
Assessor = Annotated[Principal, Depends(Need(Permission.ASSESS))]
Signer = Annotated[Principal, Depends(Need(Permission.SIGN_OFF))]
Admin = Annotated[Principal, Depends(Need(Permission.ADMIN))]
Anyone = Annotated[None, Depends(Need(Permission.PUBLIC))]


def _page(
    request: Request, name: str, me: Principal | None, status: int = 200, **context: object
) -> Response:
    from mlsvs.server.queries import level_label

    templates = request.app.state.templates
    csrf = request.session.get("csrf", "")
    context.update(me=me, csrf=csrf, level_label=level_label, Role=Role)
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, context, status_code=status
    )


def _not_found(what: str) -> Exception:
    from starlette.exceptions import HTTPException

    return HTTPException(status_code=404, detail=f"{what} not found")


@router.get("/static/app.css", include_in_schema=False)
def stylesheet(_: Anyone) -> Response:
    """The one stylesheet (CSP allows styles from this origin only)."""
    from mlsvs.server.app import TEMPLATES

    css = (TEMPLATES / "app.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.get("/login", include_in_schema=False)
def login_form(request: Request, _: Anyone, next: str = "/") -> Response:
    """The login form (sets a pre-session CSRF token)."""
    from mlsvs.server.security import new_csrf_token

    request.session.setdefault("csrf", new_csrf_token())
    return _page(request, "login.html", None, next=_local(next), error="")


def _local(target: str) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    _: Anyone,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password (argon2id), throttle failures, start a fresh session."""
    from sqlalchemy import select

    from mlsvs.server.audit import record
    from mlsvs.server.models import User
    from mlsvs.server.security import (
        burn_password_time,
        csrf_matches,
        new_csrf_token,
        verify_password,
    )

    if not csrf_matches(request.session.get("csrf"), csrf_token):
        return _page(
            request, "login.html", None, 403, next=_local(next), error="the form expired; try again"
        )
    name = username.strip().lower()
    client = request.client.host if request.client else "?"
    throttle = request.app.state.throttle
    key = f"{name}|{client}"
    if not throttle.attempt(key):
        return _page(
            request,
            "login.html",
            None,
            429,
            next=_local(next),
            error="too many failed logins; wait a few minutes",
        )
    with request.app.state.sessions() as session:
        user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if user is None:
            burn_password_time(password)
        ok = (
            user is not None and not user.disabled and verify_password(user.password_hash, password)
        )
        record(session, name, "login.ok" if ok else "login.failed", client)
        session.commit()
    if not ok or user is None:  # the attempt stays counted
        return _page(
            request, "login.html", None, 401, next=_local(next), error="wrong user name or password"
        )
    throttle.succeeded(key)
    request.session.clear()
    request.session.update(uid=user.id, pw=user.password_hash[-16:], csrf=new_csrf_token())
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, me: Reader) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account", include_in_schema=False)
def account(request: Request, me: Reader, changed: int = 0) -> Response:
    """The logged-in user's account: change the password."""
    from mlsvs.server.security import MIN_PASSWORD

    return _page(request, "account.html", me, changed=bool(changed), min_password=MIN_PASSWORD)


@router.post("/account/password", include_in_schema=False)
def account_password(
    request: Request,
    me: Reader,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change one's own password (current one required, CSRF); the session is rotated.

    Failures count against the login throttle, so a stolen session cannot guess the current
    password faster than a login could.
    """
    from mlsvs.errors import UsageError
    from mlsvs.server.models import User
    from mlsvs.server.security import new_csrf_token
    from mlsvs.server.users import change_password

    throttle = request.app.state.throttle
    client = request.client.host if request.client else "?"
    key = f"{me.username}|{client}"
    if not throttle.attempt(key):
        raise UsageError("too many failed attempts; wait a few minutes")
    with request.app.state.sessions() as session:
        user = session.get(User, me.user_id)
        if user is None:  # pragma: no cover - Need found the user an instant ago
            raise _not_found("user")
        try:
            change_password(session, user, current_password, new_password)
        except UsageError:
            session.commit()  # the refusal's audit entry (the attempt stays counted)
            raise
        session.commit()
        fingerprint = user.password_hash[-16:]
    throttle.succeeded(key)
    request.session.clear()
    request.session.update(uid=me.user_id, pw=fingerprint, csrf=new_csrf_token())
    return RedirectResponse("/account?changed=1", status_code=303)


@router.get("/", include_in_schema=False)
def inventory(request: Request, me: Reader, q: str = "") -> Response:
    """Every system with its current level."""
    from mlsvs.server.queries import inventory as rows

    with request.app.state.sessions() as session:
        systems = rows(session, search=q[:200])
    return _page(request, "inventory.html", me, systems=systems, q=q)


@router.get("/systems/{system_id}", include_in_schema=False)
def system_history(request: Request, me: Reader, system_id: PathId) -> Response:
    """Level and per-chapter verdicts over time, the runs, assessments."""
    from sqlalchemy import select

    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.models import AssessmentRow
    from mlsvs.server.plots import chapter_grid, level_plot
    from mlsvs.server.queries import chapter_counts, get_system, system_runs

    with request.app.state.sessions() as session:
        system = get_system(session, system_id)
        if system is None:
            raise _not_found("system")
        runs = system_runs(session, system_id)
        oldest_first = list(reversed(runs))
        counts = {r.id: json.loads(r.chapter_counts) for r in runs if r.chapter_counts}
        missing = [r.id for r in runs if not r.chapter_counts]
        if missing:
            counts.update(chapter_counts(session, missing))
        assessments = list(
            session.execute(
                select(AssessmentRow)
                .where(AssessmentRow.system_id == system_id)
                .order_by(AssessmentRow.id.desc())
            ).scalars()
        )
    chapters: list[str] = []
    if runs:
        standard = load_standard(runs[0].standard_version)
        chapters = [c.id for c in standard.chapters]
    plot = level_plot(
        [(r.id, r.finished_at, r.achieved_level, r.target_level) for r in oldest_first]
    )
    grid = chapter_grid([(r.id, r.finished_at) for r in oldest_first], counts, chapters)
    return _page(
        request,
        "system.html",
        me,
        system=system,
        runs=runs,
        plot=plot,
        grid=grid,
        assessments=assessments,
    )


@router.get("/systems/{system_id}/requirements/{requirement}", include_in_schema=False)
def requirement_history(
    request: Request, me: Reader, system_id: PathId, requirement: str
) -> Response:
    """One requirement's verdicts across the system's runs."""
    from mlsvs.server.queries import get_system
    from mlsvs.server.queries import requirement_history as history

    with request.app.state.sessions() as session:
        system = get_system(session, system_id)
        if system is None:
            raise _not_found("system")
        points = history(session, system_id, requirement[:32])
    return _page(
        request,
        "requirement_history.html",
        me,
        system=system,
        requirement=requirement,
        points=points,
    )


def _run_and_system(session: Session, run_id: int) -> tuple[Run, System]:
    from mlsvs.server import models

    run = session.get(models.Run, run_id)
    system = session.get(models.System, run.system_id) if run is not None else None
    if run is None or system is None:
        raise _not_found("run")
    return run, system


@router.get("/runs/{run_id}", include_in_schema=False)
def run_detail(request: Request, me: Reader, run_id: PathId) -> Response:
    """One run: its verdicts (worst first) and failing findings."""
    from mlsvs.render.text import VERDICT_ORDER
    from mlsvs.server.ingest import load_document

    with request.app.state.sessions() as session:
        run, system = _run_and_system(session, run_id)
        assessment = load_document(run.document)
    order = {v: i for i, v in enumerate(VERDICT_ORDER)}
    verdicts = sorted(assessment.verdicts, key=lambda v: (order.get(v.verdict, 99),))
    failing = [f for f in assessment.findings if f.status.value in {"fail", "error"}]
    return _page(
        request,
        "run.html",
        me,
        run=run,
        system=system,
        assessment=assessment,
        verdicts=verdicts,
        findings=failing,
    )


@router.get("/runs/{run_id}/diff", include_in_schema=False)
def run_diff(request: Request, me: Reader, run_id: PathId, against: QueryId = None) -> Response:
    """Regressions first: this run against the previous one (or ``against``)."""
    from mlsvs.server.diffs import compare
    from mlsvs.server.ingest import load_document
    from mlsvs.server.models import Run
    from mlsvs.server.queries import previous_run

    with request.app.state.sessions() as session:
        run, system = _run_and_system(session, run_id)
        old = session.get(Run, against) if against is not None else previous_run(session, run)
        if old is None or old.system_id != run.system_id:
            return _page(request, "diff.html", me, run=run, system=system, old=None, diff=None)
        old_doc = session.get(Run, old.id).document
        diff = compare(load_document(old_doc), load_document(run.document))
    return _page(request, "diff.html", me, run=run, system=system, old=old, diff=diff)


@router.get("/findings", include_in_schema=False)
def findings(request: Request, me: Reader, waived: bool = False, page: PageNumber = 1) -> Response:
    """Failing findings of every system's newest run, most severe first, a page at a time."""
    from mlsvs.server.queries import FINDINGS_PER_PAGE, open_findings

    with request.app.state.sessions() as session:
        rows, total = open_findings(session, include_waived=waived, page=page)
    pages = max(1, -(-total // FINDINGS_PER_PAGE))
    return _page(
        request,
        "findings.html",
        me,
        findings=rows,
        waived=waived,
        total=total,
        page=min(page, pages),
        pages=pages,
    )


@router.get("/expiries", include_in_schema=False)
def expiries(request: Request, me: Reader) -> Response:
    """Attestations and waivers in force, soonest expiry first."""
    from mlsvs.server.queries import EXPIRING_DAYS
    from mlsvs.server.queries import expiries as rows

    today = dt.datetime.now(dt.UTC).date()
    with request.app.state.sessions() as session:
        items = rows(session, today=today)
    return _page(
        request, "expiries.html", me, items=items, today=today, expiring_days=EXPIRING_DAYS
    )


@router.get("/standard", include_in_schema=False)
def standard_index(request: Request, me: Reader, version: str = "", q: str = "") -> Response:
    """The standard, browsable by chapter and searchable."""
    from mlsvs.server.ingest import known_versions
    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.search import search

    versions = sorted(known_versions())
    standard = load_standard(version if version in versions else None)
    hits = search(standard, q) if q.strip() else None
    return _page(request, "standard.html", me, standard=standard, versions=versions, q=q, hits=hits)


@router.get("/standard/{version}/{requirement}", include_in_schema=False)
def standard_requirement(request: Request, me: Reader, version: str, requirement: str) -> Response:
    """One requirement: text, criteria, guidance, mappings, parameters, history."""
    from mlsvs.server.ingest import known_versions
    from mlsvs.server.ingest import standard_for as load_standard

    if version not in known_versions():
        raise _not_found("standard version")
    standard = load_standard(version)
    req = standard.requirements.get(requirement)
    if req is None:
        raise _not_found("requirement")
    return _page(request, "requirement.html", me, standard=standard, req=req)


@router.post("/systems/{system_id}/assessments", include_in_schema=False)
def open_assessment(request: Request, me: Assessor, system_id: PathId) -> Response:
    """Open an assessment of the system's newest run."""
    from mlsvs.server.audit import record
    from mlsvs.server.models import AssessmentRow
    from mlsvs.server.queries import get_system

    with request.app.state.sessions() as session:
        system = get_system(session, system_id)
        if system is None or system.latest_run_id is None:
            raise _not_found("system with a run")
        row = AssessmentRow(
            system_id=system.id, run_id=system.latest_run_id, created_by=me.username
        )
        session.add(row)
        session.flush()
        record(session, me.username, "assessment.open", f"assessment {row.id}", system.name)
        session.commit()
        target = f"/assessments/{row.id}"
    return RedirectResponse(target, status_code=303)


def _load_assessment(session: Session, assessment_id: int) -> tuple[AssessmentRow, Run, System]:
    from mlsvs.server import models

    row = session.get(models.AssessmentRow, assessment_id)
    if row is None:
        raise _not_found("assessment")
    run = session.get(models.Run, row.run_id)
    system = session.get(models.System, row.system_id)
    if run is None or system is None:
        raise _not_found("assessment")
    return row, run, system


@router.get("/assessments/{assessment_id}", include_in_schema=False)
def assessment_page(request: Request, me: Reader, assessment_id: PathId) -> Response:
    """Applicable requirements, the run's verdicts, the form for what a person must judge."""
    from sqlalchemy import select

    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.models import AssessmentItem, EvidenceFile, VerdictRow
    from mlsvs.server.workflow import lines

    with request.app.state.sessions() as session:
        row, run, system = _load_assessment(session, assessment_id)
        verdicts = {
            v.requirement: (v.verdict, v.basis, v.reason)
            for v in session.execute(
                select(VerdictRow).where(VerdictRow.run_id == run.id)
            ).scalars()
        }
        items = {
            i.requirement: i
            for i in session.execute(
                select(AssessmentItem).where(AssessmentItem.assessment_id == row.id)
            ).scalars()
        }
        evidence: dict[int, list[Any]] = {}
        if items:
            for e in session.execute(
                select(EvidenceFile).where(EvidenceFile.item_id.in_([i.id for i in items.values()]))
            ).scalars():
                evidence.setdefault(e.item_id, []).append(e)
    standard = load_standard(run.standard_version)
    traits = frozenset(t for t in run.traits.split(",") if t)
    rows = lines(standard, traits, verdicts)
    return _page(
        request,
        "assessment.html",
        me,
        assessment=row,
        run=run,
        system=system,
        lines=rows,
        items=items,
        evidence=evidence,
        standard=standard,
        max_evidence=request.app.state.settings.max_evidence_bytes,
    )


@router.post("/assessments/{assessment_id}/items", include_in_schema=False)
async def record_item(
    request: Request,
    me: Assessor,
    assessment_id: PathId,
    requirement: Annotated[str, Form(max_length=32)],
    claim: Annotated[str, Form(max_length=16)],
    statement: Annotated[str, Form(min_length=1, max_length=20000)],
    justification: Annotated[str, Form(max_length=20000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Record (or replace) the verdict on one requirement, with evidence files."""
    from sqlalchemy import delete, select

    from mlsvs.model.attestation import Claim
    from mlsvs.server.audit import record
    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.models import AssessmentItem, EvidenceFile, utcnow
    from mlsvs.server.workflow import Status, WorkflowError, safe_filename, store_blob

    settings = request.app.state.settings
    try:
        the_claim = Claim(claim)
    except ValueError:
        raise WorkflowError("claim must be pass, fail or not_applicable") from None
    if the_claim is Claim.NOT_APPLICABLE and not justification.strip():
        raise WorkflowError("a not_applicable claim needs a justification")
    uploads: list[tuple[str, bytes]] = []
    for upload in files or []:
        if not upload.filename:
            continue
        data = await upload.read(settings.max_evidence_bytes + 1)
        if len(data) > settings.max_evidence_bytes:
            raise WorkflowError(
                f"evidence {safe_filename(upload.filename)} is larger than "
                f"{settings.max_evidence_bytes} bytes"
            )
        uploads.append((safe_filename(upload.filename), data))
    with request.app.state.sessions() as session:
        row, run, _system = _load_assessment(session, assessment_id)
        if row.status != Status.OPEN:
            raise WorkflowError("this assessment is signed off and can no longer change")
        standard = load_standard(run.standard_version)
        if requirement not in standard.requirements:
            raise WorkflowError(f"{requirement} is not a requirement of {standard.version}")
        item = session.execute(
            select(AssessmentItem).where(
                AssessmentItem.assessment_id == row.id, AssessmentItem.requirement == requirement
            )
        ).scalar_one_or_none()
        if item is None:
            item = AssessmentItem(
                assessment_id=row.id,
                requirement=requirement,
                claim="",
                statement="",
                recorded_by=me.username,
            )
            session.add(item)
        item.claim = the_claim.value
        item.statement = statement.strip()
        item.justification = justification.strip()
        item.recorded_by = me.username
        item.recorded_at = utcnow()
        session.flush()
        if uploads:
            session.execute(delete(EvidenceFile).where(EvidenceFile.item_id == item.id))
        for name, data in uploads:
            digest = store_blob(settings.blob_dir, data)
            session.add(
                EvidenceFile(
                    item_id=item.id,
                    sha256=digest,
                    filename=name,
                    size=len(data),
                    uploaded_by=me.username,
                )
            )
        record(
            session,
            me.username,
            "assessment.record",
            f"assessment {row.id} {requirement}",
            f"claim={the_claim.value} evidence={[n for n, _ in uploads]}",
        )
        session.commit()
    return RedirectResponse(f"/assessments/{assessment_id}#{requirement}", status_code=303)


@router.post("/assessments/{assessment_id}/sign-off", include_in_schema=False)
def sign_off(request: Request, me: Signer, assessment_id: PathId) -> Response:
    """Four-eyes sign-off by someone who recorded nothing in it."""
    from mlsvs.server.workflow import sign_off as do_sign_off

    with request.app.state.sessions() as session:
        row, _run, _system = _load_assessment(session, assessment_id)
        do_sign_off(session, row, me.username)
        session.commit()
    return RedirectResponse(f"/assessments/{assessment_id}", status_code=303)


@router.get("/assessments/{assessment_id}/export", include_in_schema=False)
def export(request: Request, me: Reader, assessment_id: PathId) -> Response:
    """The signed-off assessment as attestation files + evidence (a zip for the project root)."""
    from mlsvs.server.ingest import standard_for as load_standard
    from mlsvs.server.workflow import export_zip

    with request.app.state.sessions() as session:
        row, run, system = _load_assessment(session, assessment_id)
        data = export_zip(
            session,
            row,
            load_standard(run.standard_version),
            system.name,
            request.app.state.settings.blob_dir,
        )
    return Response(
        data,
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="mlsvs-assessment-{assessment_id}.zip"'
        },
    )


@router.get("/evidence/{sha256}", include_in_schema=False)
def evidence(request: Request, me: Reader, sha256: str) -> Response:
    """An evidence file, re-hashed, always as a download (never rendered inline)."""
    from sqlalchemy import select

    from mlsvs.server.models import EvidenceFile
    from mlsvs.server.workflow import read_blob

    with request.app.state.sessions() as session:
        row = session.execute(
            select(EvidenceFile).where(EvidenceFile.sha256 == sha256).limit(1)
        ).scalar_one_or_none()
    if row is None:
        raise _not_found("evidence")
    data = read_blob(request.app.state.settings.blob_dir, sha256)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{row.filename}"'},
    )


def _admin_page(request: Request, me: Principal, new_token: str = "") -> Response:
    from sqlalchemy import select

    from mlsvs.server.models import ApiToken, User

    with request.app.state.sessions() as session:
        users = list(session.execute(select(User).order_by(User.username)).scalars())
        tokens = list(session.execute(select(ApiToken).order_by(ApiToken.id)).scalars())
    names = {u.id: u.username for u in users}
    return _page(
        request,
        "admin_users.html",
        me,
        users=users,
        tokens=tokens,
        names=names,
        new_token=new_token,
    )


@router.get("/admin/users", include_in_schema=False)
def admin_users(request: Request, me: Admin) -> Response:
    """Users and API tokens."""
    return _admin_page(request, me)


@router.post("/admin/users", include_in_schema=False)
def admin_create_user(
    request: Request,
    me: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    """Add a user."""
    from mlsvs.server.users import create_user

    with request.app.state.sessions() as session:
        create_user(session, username, password, role, actor=me.username)
        session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/tokens", include_in_schema=False)
def admin_create_token(
    request: Request,
    me: Admin,
    owner: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    scopes: Annotated[str, Form(max_length=64)],
) -> Response:
    """Issue an API token (shown once)."""
    from sqlalchemy import select

    from mlsvs.server.models import User
    from mlsvs.server.users import create_token, parse_scopes
    from mlsvs.server.workflow import WorkflowError

    with request.app.state.sessions() as session:
        user = session.execute(
            select(User).where(User.username == owner.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise WorkflowError(f"no user {owner!r}")
        token = create_token(session, user, name, parse_scopes(scopes), actor=me.username)
        session.commit()
    return _admin_page(request, me, new_token=token)


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
def admin_revoke_token(request: Request, me: Admin, token_id: PathId) -> Response:
    """Revoke an API token (it is refused from the next request on)."""
    from mlsvs.server.audit import record
    from mlsvs.server.models import ApiToken

    with request.app.state.sessions() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise _not_found("token")
        token.revoked = True
        record(session, me.username, "token.revoke", token.name, f"token {token_id}")
        session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", include_in_schema=False)
def admin_reset_password(
    request: Request,
    me: Admin,
    user_id: PathId,
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Set a user's password (their sessions stop working; tell them the new one)."""
    from mlsvs.server.models import User
    from mlsvs.server.users import reset_password

    with request.app.state.sessions() as session:
        user = session.get(User, user_id)
        if user is None:
            raise _not_found("user")
        reset_password(session, user, new_password, actor=me.username)
        session.commit()
        own = user.id == me.user_id
        fingerprint = user.password_hash[-16:]
    if own:  # an administrator resetting their own password keeps this session, rotated
        from mlsvs.server.security import new_csrf_token

        request.session.clear()
        request.session.update(uid=me.user_id, pw=fingerprint, csrf=new_csrf_token())
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/disable", include_in_schema=False)
def admin_disable_user(request: Request, me: Admin, user_id: PathId) -> Response:
    """Disable a user: their sessions and tokens stop working at once."""
    from mlsvs.server.audit import record
    from mlsvs.server.models import User
    from mlsvs.server.workflow import WorkflowError

    with request.app.state.sessions() as session:
        user = session.get(User, user_id)
        if user is None:
            raise _not_found("user")
        if user.id == me.user_id:
            raise WorkflowError("you cannot disable yourself")
        user.disabled = True
        record(session, me.username, "user.disable", user.username)
        session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit", include_in_schema=False)
def audit_log(request: Request, me: Admin) -> Response:
    """The newest 500 audit entries."""
    from sqlalchemy import select

    from mlsvs.server.models import AuditEntry

    with request.app.state.sessions() as session:
        entries = list(
            session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).scalars()
        )
    return _page(request, "audit.html", me, entries=entries)
