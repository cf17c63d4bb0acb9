"""Human oversight from the project's oversight records: an overseer's override and stop shown
by the last oversight drill (MLC1060, M1.5.1) and every intervention logged and reviewed
(MLC1061, M1.5.3).

The records are named in the configuration::

    [[oversight.overseers]]
    name = "j.doe@example.com"
    role = "credit risk analyst"
    competence = "completed model-oversight training 2026-09; reads SHAP explanations"

    [oversight]
    drill = "oversight/drill-2026-11.jsonl"          # the last oversight test's event log
    log = "oversight/interventions.jsonl"            # production interventions (override, stop)
    reviews = "oversight/override-reviews.jsonl"     # periodic reviews of the interventions
    review_interval_days = 31

Each file is JSON Lines. An event record has ``event`` (``override``, ``stop``, ``resume`` or
``inference``), ``ts``, ``actor``, ``output_id`` and ``reason``; an inference record has a
``status`` (HTTP status or ``served``/``refused``). A review record has ``ts``, ``reviewer``,
``period_start`` and ``period_end``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import (
    SampleError,
    items,
    mapping,
    not_configured,
    read_records,
    section,
    text,
    timestamp,
    today_utc,
)
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

OVERRIDE = frozenset({"override", "oversight_override", "output_overridden"})
STOP = frozenset({"stop", "halt", "oversight_stop", "kill_switch"})
RESUME = frozenset({"resume", "restart", "oversight_resume"})
ACTOR = ("actor", "overseer", "user", "principal")
OUTPUT = ("output_id", "prediction_id", "decision_id", "request_id")
REASON = ("reason", "justification", "comment")


def _event(record: Mapping[str, object]) -> str:
    return text(record, "event", "action", "type").lower()


def served(record: Mapping[str, object]) -> bool:
    """An inference record whose answer went out normally."""
    status = record.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        return 200 <= status < 300
    return isinstance(status, str) and status.lower() in {"served", "ok", "success"}


def _overseers(conf: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """Named overseers (name -> competence) and the entries that lack a name or competence."""
    named: dict[str, str] = {}
    incomplete: list[str] = []
    for number, raw in enumerate(items(conf.get("overseers")), 1):
        entry = mapping(raw)
        name = text(entry, "name", "id", "email")
        competence = text(entry, "competence", "training", "qualification")
        if not name or not competence:
            incomplete.append(name or f"entry {number}")
            continue
        named[name] = competence
    return named, incomplete


def _timed(
    records: list[Mapping[str, object]],
) -> tuple[list[tuple[dt.datetime, Mapping[str, object]]], list[int]]:
    timed, untimed = [], []
    for number, record in enumerate(records, 1):
        when = timestamp(record.get("ts") or record.get("timestamp") or record.get("time"))
        if when is None:
            untimed.append(number)
        else:
            timed.append((when, record))
    timed.sort(key=lambda pair: pair[0])
    return timed, untimed


def _read(project: Project, rel: str) -> list[Mapping[str, object]] | Outcome:
    try:
        return read_records(project, rel)
    except SampleError as exc:
        return not_verified(f"{rel}: {exc}", exc.gap, key=rel)


@check(
    id="MLC1060",
    title="An oversight drill shows a named overseer overriding an output and stopping the system",
    requirements=["M1.5.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document],
    remediation="Name the overseers and their competence in [[oversight.overseers]]; run an "
    "oversight drill in which an overseer overrides an output and stops the service, log it as "
    "JSON Lines and point [oversight] drill at the log.",
)
def overseer_override_and_stop(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The configured overseers each have a stated competence, and the last oversight drill's
    log shows one of them overriding an identified output and stopping the system, with no
    answer served normally between the stop and the next resume."""
    conf = section(ctx, "oversight")
    if not conf:
        yield not_configured("oversight", "who oversees the system or that they can stop it")
        return
    overseers, incomplete = _overseers(conf)
    drill = conf.get("drill")
    problems = []
    if not overseers:
        problems.append("no overseer with a stated competence is named in [[oversight.overseers]]")
    if incomplete:
        problems.append(f"overseer(s) without a name or competence: {', '.join(incomplete[:5])}")
    if problems:
        yield failed("; ".join(problems), key="overseers")
        return
    if not isinstance(drill, str):
        yield not_verified(
            "no oversight drill log ([oversight] drill), so no test shows an overseer overriding "
            "an output and stopping the system",
            Gap(item="oversight.drill", reason=GapReason.NOT_PRESENT, detail="not configured"),
            key="drill",
        )
        return
    records = _read(project, drill)
    if not isinstance(records, list):
        yield records
        return
    timed, untimed = _timed(records)
    if untimed:
        yield not_verified(
            f"{drill}: record(s) {', '.join(map(str, untimed[:5]))} have no ISO 8601 timestamp, "
            "so the order of stop and service cannot be read",
            Gap(item=drill, reason=GapReason.UNPARSEABLE, detail="record without ts"),
            key=drill,
        )
        return
    overrides = [
        r
        for _, r in timed
        if _event(r) in OVERRIDE and text(r, *ACTOR) in overseers and text(r, *OUTPUT)
    ]
    stops = [(t, r) for t, r in timed if _event(r) in STOP and text(r, *ACTOR) in overseers]
    others = sorted(
        {text(r, *ACTOR) or "?" for _, r in timed if _event(r) in OVERRIDE | STOP} - set(overseers)
    )
    if not overrides:
        problems.append("no override of an identified output by a named overseer")
    while_stopped: list[Mapping[str, object]] = []
    if not stops:
        problems.append("no stop by a named overseer")
    else:
        stopped_at = stops[0][0]
        resumed = next((t for t, r in timed if t > stopped_at and _event(r) in RESUME), None)
        while_stopped = [
            r
            for t, r in timed
            if t > stopped_at
            and (resumed is None or t < resumed)
            and _event(r) in {"inference", "request", "prediction"}
        ]
        leaked = [r for r in while_stopped if served(r)]
        if leaked:
            problems.append(
                f"{len(leaked)} answer(s) were served normally after the stop "
                f"({text(leaked[0], 'request_id', 'output_id') or 'first'})"
            )
    if others:
        problems.append(f"interventions by people not named as overseers: {', '.join(others[:5])}")
    facts = (("drill", drill), ("overseers", str(len(overseers))))
    if problems:
        yield failed(f"{drill}: " + "; ".join(problems), key=drill, facts=facts)
        return
    if not while_stopped:
        yield not_verified(
            f"{drill}: no request reached the system between the stop and the resume, so the "
            "drill does not show that the stop took effect",
            Gap(item=drill, reason=GapReason.NOT_PRESENT, detail="no request after the stop"),
            key=drill,
            facts=facts,
        )
        return
    yield passed(
        f"{drill}: overseer {text(overrides[0], *ACTOR)} overrode output "
        f"{text(overrides[0], *OUTPUT)} and {text(stops[0][1], *ACTOR)} stopped the system; "
        "nothing was served normally until it resumed",
        key=drill,
        facts=facts,
    )


@check(
    id="MLC1061",
    title="Oversight interventions are logged with actor, output and reason and reviewed "
    "periodically",
    requirements=["M1.5.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[Document],
    remediation="Log every override and stop with actor, output identifier and reason; review "
    "the interventions at least every review_interval_days and record each review "
    "(reviewer, period_start, period_end) in [oversight] reviews.",
)
def interventions_logged_and_reviewed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every override and stop in the intervention log carries actor, time and reason (and an
    override the output it concerns); every intervention older than the review interval falls
    inside a recorded review's period, and the latest review is within the interval."""
    conf = section(ctx, "oversight")
    log = conf.get("log")
    if not conf or not isinstance(log, str):
        yield not_configured("oversight", "that interventions are logged (set [oversight] log)")
        return
    interval = conf.get("review_interval_days", 31)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 366:
        yield errored("[oversight] review_interval_days must be a whole number of days, 1..366")
        return
    records = _read(project, log)
    if not isinstance(records, list):
        yield records
        return
    events = [r for r in records if _event(r) in OVERRIDE | STOP]
    if not events:
        yield not_verified(
            f"{log}: no override or stop in the sample, so nothing shows how they are logged",
            Gap(item=log, reason=GapReason.EMPTY, detail="no intervention records"),
            key=log,
        )
        return
    lacking: dict[str, int] = {}
    for record in events:
        gone = [
            name
            for name, keys in (("actor", ACTOR), ("reason", REASON), ("ts", ("ts", "timestamp")))
            if not text(record, *keys)
        ]
        if _event(record) in OVERRIDE and not text(record, *OUTPUT):
            gone.append("output_id")
        if gone:
            key = ",".join(gone)
            lacking[key] = lacking.get(key, 0) + 1
    problems = [f"{n} intervention(s) lack {what}" for what, n in sorted(lacking.items())]
    reviews_path = conf.get("reviews")
    facts = (("log", log), ("interventions", str(len(events))))
    if not isinstance(reviews_path, str):
        if problems:
            yield failed(f"{log}: " + "; ".join(problems), key=log, facts=facts)
            return
        yield not_verified(
            f"{log}: {len(events)} intervention(s) are logged completely, but no review record "
            "([oversight] reviews) shows they are reviewed",
            Gap(item="oversight.reviews", reason=GapReason.NOT_PRESENT, detail="not configured"),
            key=log,
            facts=facts,
        )
        return
    reviews = _read(project, reviews_path)
    if not isinstance(reviews, list):
        yield reviews
        return
    periods = []
    for review in reviews:
        start = timestamp(review.get("period_start"))
        end = timestamp(review.get("period_end"))
        done = timestamp(review.get("ts") or review.get("reviewed_at"))
        if start and end and done and text(review, "reviewer", "reviewed_by"):
            periods.append((start, end, done))
    now = today_utc(ctx)
    due = now - dt.timedelta(days=interval)
    unreviewed = []
    for record in events:
        when = timestamp(record.get("ts") or record.get("timestamp"))
        if when is None or when > due:
            continue
        if not any(start <= when <= end for start, end, _ in periods):
            unreviewed.append(when)
    if not periods:
        problems.append(f"{reviews_path} holds no complete review (reviewer, period, time)")
    else:
        latest = max(done for _, _, done in periods)
        if latest < due:
            problems.append(
                f"the latest review ({latest.date().isoformat()}) is older than {interval} days"
            )
    if unreviewed:
        problems.append(
            f"{len(unreviewed)} intervention(s) older than {interval} days fall in no reviewed "
            f"period (first {min(unreviewed).date().isoformat()})"
        )
    if problems:
        yield failed(f"{log}: " + "; ".join(problems), key=log, facts=facts)
        return
    yield passed(
        f"{log}: {len(events)} intervention(s) carry actor, output and reason; "
        f"{len(periods)} review(s) in {reviews_path} cover every intervention older than "
        f"{interval} days",
        key=log,
        facts=facts,
    )
