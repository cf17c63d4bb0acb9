"""The runner turns crashes, timeouts and silence into ERROR findings and isolates processes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from mlsvs.engine.plan import Task
from mlsvs.engine.registry import LoadedCheck
from mlsvs.engine.runner import run
from mlsvs.model.artifact import ModelArtifact, ModelFormat, Project
from mlsvs.model.check import CheckContext
from mlsvs.model.result import Status
from tests.engine import fake_checks


def _tasks(root: Path, *names: str) -> tuple[Task, ...]:
    model = ModelArtifact(root=root, path="m.onnx", size=1, format=ModelFormat.ONNX)
    project = Project(root=root, name="p", traits=frozenset(), artifacts=(model,))
    tasks = []
    for name in names:
        check = getattr(fake_checks, name)
        target = model if check.applies_to is ModelArtifact else project
        loaded = LoadedCheck(
            check=check, source="test", attribute=f"tests.engine.fake_checks:{name}"
        )
        tasks.append(Task(loaded=loaded, target=target))
    return tuple(tasks)


def _context(task: Task) -> CheckContext:
    assert isinstance(task.target, Project | ModelArtifact)
    project = (
        task.target
        if isinstance(task.target, Project)
        else Project(root=task.target.root, name="p", traits=frozenset())
    )
    return CheckContext(project=project, today=dt.date(2026, 11, 25))


def test_crash_timeout_and_silence_become_errors(tmp_path: Path) -> None:
    result = run(
        _tasks(tmp_path, "always_passes", "crashes", "sleeps", "silent"),
        _context,
        jobs=4,
        default_timeout_s=60,
    )
    by_check = {f.check: f for f in result.findings}
    assert by_check["TST101"].status is Status.PASS
    assert by_check["TST102"].status is Status.ERROR
    assert "RuntimeError: boom" in by_check["TST102"].message
    assert by_check["TST103"].status is Status.ERROR
    assert "timed out" in by_check["TST103"].message
    assert by_check["TST105"].status is Status.ERROR
    # a check that yields nothing is a defect in the check, said in plain words with the fix
    assert by_check["TST105"].message == (
        "check TST105 (from test) finished without reporting a result for .: a defect in the "
        "check, so nothing was verified; report it to the check's maintainers, or exclude it "
        "(--ignore TST105) and attest the requirement"
    )
    # Sorted by requirement, deterministic.
    assert [f.check for f in result.findings] == ["TST101", "TST105", "TST102", "TST103"]


def test_time_limits_run_from_the_start_of_a_check_not_from_the_queue(tmp_path: Path) -> None:
    """One worker, three checks of 0.8 s with a 1 s limit each: the third starts at 1.6 s and
    finishes at 2.4 s, past its limit (+1 s grace) if counted from submission."""
    tasks = _tasks(tmp_path, "takes_its_time") * 3
    result = run(tasks, _context, jobs=1, default_timeout_s=60)
    assert [f.status for f in result.findings] == [Status.PASS] * 3


def test_process_isolation_runs_elsewhere(tmp_path: Path) -> None:
    result = run(_tasks(tmp_path, "isolated"), _context, jobs=1, default_timeout_s=60)
    [finding] = result.findings
    assert finding.status is Status.FAIL
    assert dict(finding.facts)["pid"] != str(os.getpid())


def test_fingerprints_are_stable(tmp_path: Path) -> None:
    first = run(_tasks(tmp_path, "always_passes"), _context, jobs=1, default_timeout_s=60)
    second = run(_tasks(tmp_path, "always_passes"), _context, jobs=1, default_timeout_s=60)
    assert first.findings[0].id == second.findings[0].id
