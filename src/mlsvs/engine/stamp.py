"""Turn what a check yielded into findings stamped with the check's identity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Finding, Outcome, TargetRef
from mlsvs.output.report import fingerprint as finding_fingerprint
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from mlsvs.model.artifact import Target
    from mlsvs.model.check import Check


def fingerprint(check_id: str, target_path: str, outcome: Outcome) -> str:
    """Stable across rewording: check, target, location, rule and the check-chosen key (the
    one scheme every command's output uses, :func:`mlsvs.output.report.fingerprint`)."""
    where = outcome.location.describe() if outcome.location else ""
    return finding_fingerprint(check_id, target_path, where, outcome.rule, outcome.key)


def stamp(check: Check[Target], target: Target, outcome: Outcome, duration_ms: int) -> Finding:
    """The finding for one outcome."""
    return Finding(
        id=fingerprint(check.id, target.display_path, outcome),
        check=check.id,
        requirements=check.requirements,
        severity=outcome.severity or check.severity,
        status=outcome.status,
        target=TargetRef(path=target.display_path, kind=target.kind),
        message=one_line(outcome.message, 2000),
        location=outcome.location,
        facts=tuple(sorted(outcome.facts)),
        rule=outcome.rule,
        duration_ms=duration_ms,
        measurements=outcome.measurements,
        gaps=outcome.gaps,
    )
