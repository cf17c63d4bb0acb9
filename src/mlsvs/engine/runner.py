"""Execute a plan: a thread pool, process isolation where asked, per-task timeouts.

A check that raises or times out yields one ERROR finding, which blocks the level: a crash is
never a pass. Findings are sorted afterwards so output never depends on completion order.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.engine.events import NullSink, RunFinished, RunStarted, TaskFinished
from mlsvs.engine.isolated import run_isolated
from mlsvs.engine.stamp import stamp
from mlsvs.model.catalog import id_sort_key
from mlsvs.model.check import Isolation
from mlsvs.model.result import Finding, Outcome, Status, errored

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.engine.events import EventSink
    from mlsvs.engine.plan import Task
    from mlsvs.model.check import CheckContext

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Clock:
    """When a worker thread actually began a task; ``None`` while it waits in the pool's queue.

    Mutable on purpose: the worker writes it once, the loop reads it. A task's time limit runs
    from here, not from submission: with few workers, fast checks queued behind slow model
    tests would otherwise "time out" before they ever started.
    """

    submitted: float
    began: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """Findings of every task, sorted, and whether the run was cut short."""

    findings: tuple[Finding, ...]
    interrupted: bool


def run(
    tasks: tuple[Task, ...],
    context_for: Callable[[Task], CheckContext],
    *,
    jobs: int,
    default_timeout_s: float,
    sink: EventSink | None = None,
) -> RunResult:
    """Run every task; returns when all finished, timed out or the user interrupted."""
    sink = sink or NullSink()
    sink.emit(RunStarted(total=len(tasks)))
    findings: list[Finding] = []
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="mlsvs-check")
    started: dict[Future[list[Outcome]], tuple[Task, _Clock, float]] = {}
    try:
        for task in tasks:
            timeout = min(task.loaded.check.timeout_s, default_timeout_s)
            clock = _Clock(submitted=time.monotonic())
            future = pool.submit(_execute, task, context_for(task), timeout, clock)
            started[future] = (task, clock, timeout)
        pending = set(started)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                findings.extend(_collect(future, started[future], sink))
            now = time.monotonic()
            for future in list(pending):
                task, clock, timeout = started[future]
                if clock.began is not None and now - clock.began > timeout + 1.0:
                    # Threads cannot be killed: abandon the task and report it as an error.
                    pending.discard(future)
                    outcome = errored(f"timed out after {timeout:g} s")
                    findings.append(stamp(task.loaded.check, task.target, outcome, 0))
                    _emit(sink, task, Status.ERROR, int(timeout * 1000))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        sink.emit(RunFinished(interrupted=interrupted))
    findings.sort(key=_order)
    return RunResult(findings=tuple(findings), interrupted=interrupted)


def _execute(task: Task, ctx: CheckContext, timeout_s: float, clock: _Clock) -> list[Outcome]:
    clock.began = time.monotonic()
    check = task.loaded.check
    if check.isolation is Isolation.PROCESS:
        return run_isolated(task.loaded.attribute, ctx, task.target, timeout_s)
    return check.run(ctx, task.target)


def _collect(
    future: Future[list[Outcome]], meta: tuple[Task, _Clock, float], sink: EventSink
) -> list[Finding]:
    task, clock, _ = meta
    began = clock.began if clock.began is not None else clock.submitted
    duration_ms = int((time.monotonic() - began) * 1000)
    check = task.loaded.check
    try:
        outcomes = future.result()
    except Exception as exc:
        log.debug("check %s crashed on %s", check.id, task.target.display_path, exc_info=True)
        outcomes = [errored(f"check crashed: {type(exc).__name__}: {exc}")]
    if not outcomes:
        origin = f" (from {task.loaded.source})" if task.loaded.source else ""
        outcomes = [
            errored(
                f"check {check.id}{origin} finished without reporting a result for "
                f"{task.target.display_path}: a defect in the check, so nothing was verified; "
                f"report it to the check's maintainers, or exclude it (--ignore {check.id}) "
                "and attest the requirement"
            )
        ]
    findings = [stamp(check, task.target, o, duration_ms) for o in outcomes]
    worst = _worst(findings)
    _emit(sink, task, worst, duration_ms)
    return findings


def _worst(findings: list[Finding]) -> Status:
    statuses = {f.status for f in findings}
    for status in (Status.ERROR, Status.FAIL, Status.NOT_VERIFIED, Status.PASS, Status.ABSTAINED):
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


def _emit(sink: EventSink, task: Task, status: Status, duration_ms: int) -> None:
    sink.emit(
        TaskFinished(
            check=task.loaded.check.id,
            target=task.target.display_path,
            status=status,
            duration_ms=duration_ms,
        )
    )


def _order(finding: Finding) -> tuple[tuple[int, ...], str, str, str, str]:
    where = finding.location.describe() if finding.location else ""
    first = id_sort_key(finding.requirements[0]) if finding.requirements else ()
    return (first, finding.check, finding.target.path, where, finding.id)
