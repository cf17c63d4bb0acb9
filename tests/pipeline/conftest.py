"""Helpers: a project on disk, discovered for real, and a context at a fixed date."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.discovery import discover
from mlsvs.model.catalog import Level
from mlsvs.plugin import CheckContext, Outcome, Project, Status

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.model.check import Check

TODAY = dt.date(2026, 12, 2)


def write(root: Path, files: dict[str, str | bytes]) -> Project:
    """Write ``files`` under ``root`` and discover the project."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return discover(root).project


def run(
    check: Check[Project],
    project: Project,
    *,
    level: Level = Level.L1,
    parameters: dict[str, object] | None = None,
    settings: dict[str, dict[str, object]] | None = None,
    options: dict[str, object] | None = None,
    today: dt.date = TODAY,
) -> list[Outcome]:
    """Run a project-scope check."""
    ctx = CheckContext(
        project=project,
        today=today,
        target_level=level,
        parameters=parameters or {},
        settings=settings or {},
        options=options or {},
    )
    return check.run(ctx, project)


def statuses(outcomes: list[Outcome]) -> list[Status]:
    """The statuses, in order."""
    return [o.status for o in outcomes]
