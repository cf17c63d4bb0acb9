"""Carry the headline numbers of earlier runs into a new assessment (``--previous``)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError
from mlsvs.model.assessment import Problem, ProblemKind, TrendPoint
from mlsvs.model.verdict import LevelResult, Verdict

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment

MAX_POINTS = 50
"""The trend keeps the newest runs only, so results files do not grow without bound."""


def trend_point(assessment: Assessment) -> TrendPoint:
    """The numbers of one run the trend plot shows."""
    counts = Counter(v.verdict for v in assessment.verdicts)
    return TrendPoint(
        finished_at=assessment.finished_at,
        target_level=assessment.target_level,
        achieved_level=assessment.achieved_level,
        levels=tuple(
            LevelResult(
                level=lr.level,
                met=lr.met,
                applicable=lr.applicable,
                satisfied=lr.satisfied,
                not_applicable=lr.not_applicable,
            )
            for lr in sorted(assessment.levels, key=lambda lr: lr.level)
        ),
        counts=tuple((v, counts[v]) for v in Verdict if counts[v]),
    )


def with_previous(assessment: Assessment, previous: Assessment, *, source: str) -> Assessment:
    """``assessment`` whose trend is ``previous``'s trend followed by ``previous`` itself.

    A run of another standard version is not comparable: the trend starts anew and a problem
    says why. A previous run that finished after this one is a usage error (``UsageError``).
    """
    if previous.finished_at > assessment.finished_at:
        raise UsageError(
            f"--previous results finished at {previous.finished_at}, after this run "
            f"({assessment.finished_at}): give the older results file",
            path=source,
        )
    if previous.standard.key != assessment.standard.key:
        note = Problem(
            kind=ProblemKind.CONFIG,
            path=source,
            message=(
                f"previous results were made against {previous.standard.key}, this run against "
                f"{assessment.standard.key}: the trend starts again with this run"
            ),
        )
        return dataclasses.replace(assessment, trend=(), problems=(*assessment.problems, note))
    points = (*previous.trend, trend_point(previous))
    return dataclasses.replace(assessment, trend=points[-MAX_POINTS:])
