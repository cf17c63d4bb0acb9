"""Which levels a system meets, and what blocks each one (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.catalog import Level, id_sort_key
from mlsvs.model.verdict import LevelResult, Verdict

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.model.verdict import RequirementVerdict


def compute_levels(
    verdicts: Sequence[RequirementVerdict], *, waived_satisfies: bool = False
) -> tuple[tuple[LevelResult, ...], Level | None]:
    """Level L is met when every requirement with entry level <= L satisfies (pass or n/a).

    The achieved level is the highest L such that L1..L are all met (None when L1 is not).
    Counts keep n/a apart: ``applicable`` excludes not-applicable requirements and
    ``satisfied`` counts only those that passed, so n/a never reads as satisfied.
    """
    results: list[LevelResult] = []
    achieved: Level | None = None
    still_climbing = True
    for level in Level:
        in_scope = [v for v in verdicts if v.level <= level]
        blocking = sorted(
            (v.requirement for v in in_scope if not _satisfies(v, waived_satisfies)),
            key=id_sort_key,
        )
        met = not blocking
        not_applicable = sum(1 for v in in_scope if v.verdict is Verdict.NOT_APPLICABLE)
        applicable = len(in_scope) - not_applicable
        results.append(
            LevelResult(
                level=level,
                met=met,
                blocking=tuple(blocking),
                applicable=applicable,
                satisfied=applicable - len(blocking),
                not_applicable=not_applicable,
            )
        )
        if still_climbing and met:
            achieved = level
        else:
            still_climbing = False
    return tuple(results), achieved


def _satisfies(verdict: RequirementVerdict, waived_satisfies: bool) -> bool:
    return verdict.verdict.satisfies or (waived_satisfies and verdict.verdict is Verdict.WAIVED)
