"""Checks used by the runner tests (importable by a spawned process)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlsvs.plugin import Isolation, ModelArtifact, Project, Severity, check, failed, passed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


@check(
    id="TST101",
    title="passes",
    requirements=["M4.1.1"],
    applies_to=ModelArtifact,
    severity=Severity.LOW,
)
def always_passes(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Pass."""
    yield passed(f"{model.path} ok")


@check(
    id="TST102",
    title="crashes",
    requirements=["M4.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
)
def crashes(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Raise."""
    raise RuntimeError("boom")
    yield passed("unreachable")


@check(
    id="TST103",
    title="sleeps",
    requirements=["M4.1.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    timeout_s=0.5,
)
def sleeps(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Sleep past the timeout."""
    time.sleep(3)
    yield passed("too late")


@check(
    id="TST104",
    title="isolated",
    requirements=["M4.1.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    isolation=Isolation.PROCESS,
)
def isolated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Report the process it ran in."""
    import os

    yield failed(f"pid {os.getpid()}", facts=(("pid", str(os.getpid())),))


@check(
    id="TST105", title="silent", requirements=["M4.1.1"], applies_to=Project, severity=Severity.LOW
)
def silent(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Yield nothing at all."""
    yield from ()


@check(
    id="TST106",
    title="takes most of its time limit",
    requirements=["M4.1.1"],
    applies_to=Project,
    severity=Severity.LOW,
    timeout_s=1.0,
)
def takes_its_time(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Finish well within the limit, but not within the limit of three queued runs."""
    time.sleep(0.8)
    yield passed("in time")
