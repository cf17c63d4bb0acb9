"""Build a project on disk and run one platform check on it, as the engine would."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import TYPE_CHECKING

from mlsvs.discovery import discover
from mlsvs.model.check import CheckContext

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.model.check import Check
    from mlsvs.model.result import Outcome


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def run(
    check: Check,
    root: Path,
    settings: dict[str, dict[str, object]] | None = None,
    **parameters: object,
) -> list[Outcome]:
    project = discover(root).project
    ctx = CheckContext(
        project=project,
        today=dt.date(2026, 12, 1),
        parameters=parameters,
        settings=settings or {},
    )
    return check.run(ctx, project)


def by_key(outcomes: list[Outcome]) -> dict[str, str]:
    return {o.key: o.status.value for o in outcomes}


def statuses(outcomes: list[Outcome]) -> set[str]:
    return {o.status.value for o in outcomes}
