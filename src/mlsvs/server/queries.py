"""What the pages and the API read: inventory, history, findings, expiries (no HTML here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mlsvs.server.models import Run, System

HISTORY_LIMIT = 200
"""Runs shown on a system's history page (newest first; older ones are paged)."""


def level_label(level: int) -> str:
    """``L2``, or ``none`` below L1."""
    return f"L{level}" if level else "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryRow:
    """One system on the dashboard."""

    id: int
    name: str
    level: int
    target: int
    finished: str
    runs: int
    latest_run_id: int | None
    open_failures: int


def inventory(session: Session, *, search: str = "") -> list[InventoryRow]:
    """Every system with its newest run's level and failing findings (two indexed queries)."""
    from sqlalchemy import func, select

    from mlsvs.server.models import FindingRow, System

    query = select(System).order_by(System.name)
    if search:
        query = query.where(System.name.contains(search, autoescape=True))
    systems = list(session.execute(query).scalars())
    latest = [s.latest_run_id for s in systems if s.latest_run_id is not None]
    failures: dict[int, int] = {}
    if latest:
        counted = session.execute(
            select(FindingRow.run_id, func.count())
            .where(FindingRow.run_id.in_(latest), FindingRow.waiver == "")
            .group_by(FindingRow.run_id)
        )
        failures = {int(run_id): int(n) for run_id, n in counted}
    return [
        InventoryRow(
            id=s.id,
            name=s.name,
            level=s.latest_level,
            target=s.latest_target,
            finished=s.latest_finished,
            runs=s.run_count,
            latest_run_id=s.latest_run_id,
            open_failures=failures.get(s.latest_run_id or -1, 0),
        )
        for s in systems
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """A run as the history page and the runs API list it (no document, no verdicts)."""

    id: int
    digest: str
    finished_at: str
    standard_version: str
    achieved_level: int
    target_level: int
    counts: str
    chapter_counts: str


def system_runs(
    session: Session, system_id: int, *, limit: int = HISTORY_LIMIT
) -> list[RunSummary]:
    """The system's newest runs, newest first (one indexed query over a few columns)."""
    from sqlalchemy import select

    from mlsvs.server.models import Run

    rows = session.execute(
        select(
            Run.id,
            Run.digest,
            Run.finished_at,
            Run.standard_version,
            Run.achieved_level,
            Run.target_level,
            Run.counts,
            Run.chapter_counts,
        )
        .where(Run.system_id == system_id)
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(limit)
    )
    return [
        RunSummary(
            id=r[0],
            digest=r[1],
            finished_at=r[2],
            standard_version=r[3],
            achieved_level=r[4],
            target_level=r[5],
            counts=r[6],
            chapter_counts=r[7],
        )
        for r in rows
    ]


def chapter_counts(session: Session, run_ids: list[int]) -> dict[int, dict[str, dict[str, int]]]:
    """run -> chapter -> verdict -> count, for the history plot (one grouped query)."""
    from sqlalchemy import func, select

    from mlsvs.server.models import VerdictRow

    out: dict[int, dict[str, dict[str, int]]] = {}
    if not run_ids:
        return out
    rows = session.execute(
        select(VerdictRow.run_id, VerdictRow.chapter, VerdictRow.verdict, func.count())
        .where(VerdictRow.run_id.in_(run_ids))
        .group_by(VerdictRow.run_id, VerdictRow.chapter, VerdictRow.verdict)
    )
    for run_id, chapter, verdict, n in rows:
        out.setdefault(run_id, {}).setdefault(chapter, {})[verdict] = n
    return out


def previous_run(session: Session, run: Run) -> Run | None:
    """The system's run just before ``run``."""
    from sqlalchemy import and_, or_, select
    from sqlalchemy.orm import defer

    from mlsvs.server.models import Run as RunRow

    return session.execute(
        select(RunRow)
        .options(defer(RunRow.document))
        .where(
            RunRow.system_id == run.system_id,
            or_(
                RunRow.finished_at < run.finished_at,
                and_(RunRow.finished_at == run.finished_at, RunRow.id < run.id),
            ),
        )
        .order_by(RunRow.finished_at.desc(), RunRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementPoint:
    """One run's verdict on one requirement."""

    run_id: int
    finished: str
    verdict: str
    basis: str
    reason: str


def requirement_history(
    session: Session, system_id: int, requirement: str, *, limit: int = HISTORY_LIMIT
) -> list[RequirementPoint]:
    """A requirement's verdicts across the system's runs, newest first."""
    from sqlalchemy import select

    from mlsvs.server.models import Run, VerdictRow

    rows = session.execute(
        select(Run.id, Run.finished_at, VerdictRow.verdict, VerdictRow.basis, VerdictRow.reason)
        .join(VerdictRow, VerdictRow.run_id == Run.id)
        .where(Run.system_id == system_id, VerdictRow.requirement == requirement)
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(limit)
    )
    return [
        RequirementPoint(run_id=r, finished=f, verdict=v, basis=b, reason=why)
        for r, f, v, b, why in rows
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenFinding:
    """A failing finding of a system's newest run."""

    system_id: int
    system: str
    run_id: int
    check: str
    status: str
    severity: str
    requirements: str
    path: str
    message: str
    waiver: str


_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


FINDINGS_PER_PAGE = 200
"""Rows per page of the open-findings list (a fleet of 200 systems has thousands)."""


def open_findings(
    session: Session, *, include_waived: bool = False, page: int = 1
) -> tuple[list[OpenFinding], int]:
    """One page of the failing findings of every system's newest run, most severe first,
    and how many there are in all.

    Sorted and paged in SQL (severity rank, system, check), read as columns: the page
    renders ``FINDINGS_PER_PAGE`` rows, not every system's findings at once.
    """
    from sqlalchemy import case, func, select

    from mlsvs.server.models import FindingRow, System

    joined = FindingRow.run_id == System.latest_run_id
    where = [] if include_waived else [FindingRow.waiver == ""]
    total = session.execute(
        select(func.count()).select_from(System).join(FindingRow, joined).where(*where)
    ).scalar_one()
    rank = case(_SEVERITY_RANK, value=FindingRow.severity, else_=9)
    query = (
        select(
            System.id,
            System.name,
            FindingRow.run_id,
            FindingRow.check_id,
            FindingRow.status,
            FindingRow.severity,
            FindingRow.requirements,
            FindingRow.path,
            FindingRow.message,
            FindingRow.waiver,
        )
        .join(FindingRow, joined)
        .where(*where)
        .order_by(rank, System.name, FindingRow.check_id, FindingRow.id)
        .limit(FINDINGS_PER_PAGE)
        .offset((max(1, page) - 1) * FINDINGS_PER_PAGE)
    )
    found = [
        OpenFinding(
            system_id=sid,
            system=name,
            run_id=run_id,
            check=check,
            status=status,
            severity=severity,
            requirements=requirements,
            path=path,
            message=message,
            waiver=waiver,
        )
        for sid, name, run_id, check, status, severity, requirements, path, message, waiver in (
            session.execute(query)
        )
    ]
    return found, total


EXPIRING_DAYS = 30
"""An attestation or waiver expiring within this many days is highlighted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expiring:
    """An attestation or waiver on a system's newest run, with its state today."""

    system_id: int
    system: str
    kind: str
    """``attestation`` or ``waiver``."""
    requirement: str
    name: str
    validity: str
    """What the run computed (attestations) or did (waivers: applied / not applied)."""
    expires: dt.date | None
    days_left: int | None
    state: str
    """``expired``, ``expiring`` (within ``EXPIRING_DAYS``), ``in force`` or ``unknown``."""


def expiry_state(expires: dt.date | None, *, today: dt.date, expired: bool = False) -> str:
    """``expired`` (before today, or the run found it so), ``expiring``, ``in force``, ``unknown``.

    ``unknown``: no date (a waiver named by results written before schema 1.3).
    """
    if expired or (expires is not None and expires < today):
        return "expired"
    if expires is None:
        return "unknown"
    return "expiring" if (expires - today).days <= EXPIRING_DAYS else "in force"


def expiries(session: Session, *, today: dt.date) -> list[Expiring]:
    """Attestations and waivers of every system's newest run, soonest expiry (expired) first."""
    from sqlalchemy import select

    from mlsvs.server.models import FindingRow, RunAttestation, RunWaiver, System

    out: list[Expiring] = []
    for sid, name, a in session.execute(
        select(System.id, System.name, RunAttestation).join(
            RunAttestation, RunAttestation.run_id == System.latest_run_id
        )
    ):
        out.append(
            Expiring(
                system_id=sid,
                system=name,
                kind="attestation",
                requirement=a.requirement,
                name=a.source,
                validity=a.validity,
                expires=a.expires,
                days_left=(a.expires - today).days if a.expires else None,
                state=expiry_state(a.expires, today=today, expired=a.validity == "expired"),
            )
        )
    dated: set[tuple[int, str]] = set()
    for sid, name, w in session.execute(
        select(System.id, System.name, RunWaiver).join(
            RunWaiver, RunWaiver.run_id == System.latest_run_id
        )
    ):
        dated.add((sid, w.waiver))
        out.append(
            Expiring(
                system_id=sid,
                system=name,
                kind="waiver",
                requirement=w.requirement or (f"check {w.check_id}" if w.check_id else "any"),
                name=w.waiver,
                validity=(
                    "not applied (expired)"
                    if w.expired
                    else f"applied to {w.applied} failure{'s' * (w.applied != 1)}"
                ),
                expires=w.expires,
                days_left=(w.expires - today).days,
                state=expiry_state(w.expires, today=today, expired=w.expired),
            )
        )
    # Results written before schema 1.3 name the waivers they applied, without the expiry.
    waived = session.execute(
        select(System.id, System.name, FindingRow.waiver, FindingRow.requirements)
        .join(FindingRow, FindingRow.run_id == System.latest_run_id)
        .where(FindingRow.waiver != "")
        .distinct()
    )
    for sid, name, waiver, requirements in waived:
        if (sid, waiver) in dated:
            continue
        out.append(
            Expiring(
                system_id=sid,
                system=name,
                kind="waiver",
                requirement=requirements,
                name=waiver,
                validity="applied",
                expires=None,
                days_left=None,
                state="unknown",
            )
        )
    far = dt.date.max
    return sorted(out, key=lambda e: (e.expires or far, e.system, e.kind, e.requirement, e.name))


def get_system(session: Session, system_id: int) -> System | None:
    """A system by ID."""
    from mlsvs.server.models import System

    return session.get(System, system_id)
