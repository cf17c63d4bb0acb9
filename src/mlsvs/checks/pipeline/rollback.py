"""Rollback to a known-good model version within the standard's time (MLC1034, M4.5.2), judged
on the records the rollback drill (or a real rollback) left behind.

The records are YAML or JSON files named in the configuration, or found in the project under a
name containing ``rollback`` (``ops/drills/rollback-2026-09.yaml``)::

    [drills.rollback]
    records = ["ops/drills/rollback-2026-09.yaml"]

One record is a mapping (a file may hold a list of them, or ``{"rollbacks": [...]}``)::

    kind: drill                      # or "real"
    decided_at: 2026-09-14T10:02:00Z # the decision to roll back
    serving_at: 2026-09-14T10:19:30Z # the known-good version serving again
    from_version: credit-scorer@7
    to_version: credit-scorer@6
    to_digest: sha256:9f2c...        # the restored artifact's digest
    integrity_verified: true         # the restored version passed its signature/hash check

The requirement passes when a record from the last 12 months restored a *previous* version
(``to_version`` differs from ``from_version``) within ``max_rollback_minutes`` and its
integrity check passed (``integrity_verified: true``, or ``to_digest`` equal to
``expected_digest``). A record missing a time or the integrity result decides nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, load_json, load_yaml, read_text
from mlsvs.plugin import (
    Artifact,
    Gap,
    GapReason,
    Measurement,
    Outcome,
    Project,
    Severity,
    Status,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext

_NAMED = re.compile(r"rollback", re.IGNORECASE)
_SUFFIXES = (".yaml", ".yml", ".json")
_START = ("decided_at", "started_at", "start", "began_at")
_END = ("serving_at", "restored_at", "completed_at", "finished_at", "end")
WINDOW_DAYS = 366


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollback:
    """One rollback as recorded."""

    source: str
    kind: str
    when: dt.datetime | None
    minutes: float | None
    from_version: str
    to_version: str
    integrity: bool | None
    """True: verified; False: failed; None: not recorded."""


def _time(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DocumentError(f"{value!r} is not an ISO 8601 time") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _first(record: dict[str, object], keys: tuple[str, ...]) -> object:
    return next((record[k] for k in keys if record.get(k) not in (None, "")), None)


def parse_record(raw: object, source: str) -> Rollback:
    """One record; ``DocumentError`` when it is not a mapping or a time is malformed."""
    if not isinstance(raw, dict):
        raise DocumentError(f"{source}: a rollback record must be a mapping")
    rec = {str(k): v for k, v in raw.items()}
    start, end = _time(_first(rec, _START)), _time(_first(rec, _END))
    minutes: float | None = None
    if start and end:
        minutes = (end - start).total_seconds() / 60
        if minutes < 0:
            raise DocumentError(f"{source}: the version served again before the decision")
    elif isinstance(rec.get("duration_minutes"), int | float):
        minutes = float(rec["duration_minutes"])
    verified = rec.get("integrity_verified")
    integrity = verified if isinstance(verified, bool) else None
    digest, expected = rec.get("to_digest"), rec.get("expected_digest")
    if integrity is None and isinstance(digest, str) and isinstance(expected, str):
        integrity = digest.strip().lower() == expected.strip().lower()
    return Rollback(
        source=source,
        kind=str(rec.get("kind", "drill")),
        when=start or end,
        minutes=minutes,
        from_version=str(rec.get("from_version", "")),
        to_version=str(rec.get("to_version", "")),
        integrity=integrity,
    )


def read_records(path: Path, rel: str) -> list[Rollback]:
    """Every record in one file."""
    text = read_text(path, rel)
    data = load_json(text, rel) if rel.endswith(".json") else load_yaml(text, rel)
    if isinstance(data, dict) and isinstance(data.get("rollbacks"), list):
        data = data["rollbacks"]
    entries = data if isinstance(data, list) else [data]
    return [
        parse_record(e, f"{rel}[{i}]" if len(entries) > 1 else rel) for i, e in enumerate(entries)
    ]


def record_files(ctx: CheckContext, project: Project) -> list[str]:
    """Declared record files, else files in the project named like rollback records."""
    section = ctx.section("drills").get("rollback", {})
    declared = section.get("records", []) if isinstance(section, dict) else []
    if isinstance(declared, str):
        declared = [declared]
    if declared:
        return [str(p) for p in declared] if isinstance(declared, list) else []
    return sorted(
        {
            a.path
            for a in project.of_type(Artifact)
            if a.path.endswith(_SUFFIXES) and _NAMED.search(Path(a.path).name)
        }
    )


def judge(
    records: list[Rollback], today: dt.date, limit: float
) -> tuple[bool | None, str, Rollback | None]:
    """(ok, why, the record that decided): ok None when no record can decide."""
    since = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC) - dt.timedelta(
        days=WINDOW_DAYS
    )
    recent = [r for r in records if r.when is not None and r.when >= since]
    if not recent:
        dated = [r for r in records if r.when is not None]
        if dated:
            last = max(dated, key=lambda r: r.when or since)
            return False, f"the last rollback ({last.when:%Y-%m-%d}) is older than 12 months", last
        return None, "no record states when the rollback happened", None
    undecided: list[str] = []
    problems: list[tuple[Rollback, str]] = []
    for r in sorted(recent, key=lambda r: r.when or since, reverse=True):
        if not r.to_version or r.to_version == r.from_version:
            problems.append((r, f"{r.source} restored no previous version ({r.to_version!r})"))
        elif r.minutes is None:
            undecided.append(f"{r.source} records no restore time")
        elif r.integrity is None:
            undecided.append(f"{r.source} records no integrity check of {r.to_version}")
        elif r.integrity is False:
            problems.append(
                (r, f"{r.source}: the restored {r.to_version} failed its integrity check")
            )
        elif r.minutes > limit:
            problems.append(
                (
                    r,
                    f"{r.source}: {r.to_version} served after {r.minutes:.1f} min "
                    f"(limit {limit:g})",
                )
            )
        else:
            return (
                True,
                (
                    f"{r.kind} on {r.when:%Y-%m-%d} restored {r.to_version} "
                    f"(from {r.from_version}) in {r.minutes:.1f} min (limit {limit:g}), "
                    "integrity verified"
                ),
                r,
            )
    if problems:
        return False, "; ".join(p for _, p in problems), problems[0][0]
    return None, "; ".join(undecided), None


@check(
    id="MLC1034",
    title="A rollback in the last 12 months restored a known-good version within the limit",
    requirements=["M4.5.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Artifact,),
    remediation="Script the rollback (registry alias or rollout undo), drill it at least yearly "
    "on staging, verify the restored artifact's digest and record the times "
    "([drills.rollback] records).",
)
def rollback_drilled(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Parse the rollback records; the newest qualifying one within 12 months decides."""
    files = record_files(ctx, project)
    if not files:
        yield abstained(
            "no rollback drill or rollback record found ([drills.rollback] records, or a "
            "file named *rollback*.yaml/json)"
        )
        return
    limit = float(ctx.parameter("M4.5.2.max_rollback_minutes", 60.0))
    records: list[Rollback] = []
    gaps: list[Gap] = []
    root = project.root.resolve()
    for rel in files:
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            yield errored(f"rollback record {rel} is outside the project")
            return
        try:
            records.extend(read_records(path, rel))
        except DocumentError as exc:
            gaps.append(Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:300]))
    if gaps and not records:
        yield not_verified("no rollback record could be read", gaps)
        return
    ok, why, decided = judge(records, ctx.today, limit)
    facts = tuple(("record", r.source) for r in records)
    ms: tuple[Measurement, ...] = ()
    if decided is not None and decided.minutes is not None:
        ms = (
            Measurement(
                name="rollback_minutes",
                value=decided.minutes,
                threshold=limit,
                unit="minutes",
                parameters=(("record", decided.source), ("to_version", decided.to_version)),
            ),
        )
    if ok is True:
        yield passed(why, facts=facts, measurements=ms, gaps=tuple(gaps))
    elif ok is False:
        yield failed(why, facts=facts, measurements=ms)
    else:
        yield Outcome(
            status=Status.NOT_VERIFIED,
            message=f"the rollback records cannot decide: {why}",
            facts=facts,
            gaps=(
                *gaps,
                Gap(item="rollback records", reason=GapReason.UNSUPPORTED, detail=why[:300]),
            ),
        )
