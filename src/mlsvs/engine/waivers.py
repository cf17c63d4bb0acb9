"""Apply waivers to failures: mandatory reason and expiry, expired ones reported as problems."""

from __future__ import annotations

import dataclasses
import fnmatch
from typing import TYPE_CHECKING

from mlsvs.model.assessment import Problem, ProblemKind, WaiverRecord
from mlsvs.model.result import Finding, Status

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from mlsvs.model.attestation import Waiver


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], *, today: dt.date
) -> tuple[tuple[Finding, ...], tuple[Problem, ...]]:
    """Mark FAIL findings covered by an unexpired waiver; report expired and unused waivers."""
    active = [w for w in waivers if w.expires >= today]
    problems = [
        Problem(
            kind=ProblemKind.WAIVER,
            message=f"waiver {w.id} expired on {w.expires.isoformat()}; not applied",
        )
        for w in waivers
        if w.expires < today
    ]
    used: set[str] = set()
    result: list[Finding] = []
    for finding in findings:
        waiver = _matching(finding, active) if finding.status is Status.FAIL else None
        if waiver is not None:
            used.add(waiver.id)
            finding = dataclasses.replace(finding, waiver=waiver.id)
        result.append(finding)
    problems.extend(
        Problem(kind=ProblemKind.WAIVER, message=f"waiver {w.id} matched no failure")
        for w in active
        if w.id not in used
    )
    return tuple(result), tuple(problems)


def _matching(finding: Finding, waivers: list[Waiver]) -> Waiver | None:
    for waiver in waivers:
        if waiver.check is not None and waiver.check != finding.check:
            continue
        if waiver.requirement is not None and waiver.requirement not in finding.requirements:
            continue
        if waiver.paths and not any(
            fnmatch.fnmatchcase(finding.target.path, p) for p in waiver.paths
        ):
            continue
        return waiver
    return None


def waiver_records(
    waivers: Iterable[Waiver], findings: Iterable[Finding], *, today: dt.date
) -> tuple[WaiverRecord, ...]:
    """Each configured waiver as the results record it: expiry, state, failures covered."""
    covered: dict[str, int] = {}
    for finding in findings:
        if finding.waiver:
            covered[finding.waiver] = covered.get(finding.waiver, 0) + 1
    return tuple(
        WaiverRecord(
            id=w.id,
            reason=w.reason,
            expires=w.expires,
            check=w.check,
            requirement=w.requirement,
            approved_by=w.approved_by,
            expired=w.expires < today,
            applied=covered.get(w.id, 0),
        )
        for w in sorted(waivers, key=lambda w: (w.expires, w.id))
    )
