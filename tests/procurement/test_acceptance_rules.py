"""Pure rules of the acceptance decision: parameter strictness, and when an attestation may
stand in for a named check (only when the check had nothing to examine)."""

from __future__ import annotations

import dataclasses

import pytest

from mlsvs.model.assessment import CheckRecord, CheckState, SkipCause
from mlsvs.model.catalog import Level
from mlsvs.procurement.acceptance import _idle, _meets, _not_run
from mlsvs.procurement.annex import AnnexRequirement, ScheduledParameter
from mlsvs.procurement.evidence_rules import AcceptableEvidence, EvidenceKind
from tests.render.builders import assessment


def _param(comparison: str, value) -> ScheduledParameter:
    return ScheduledParameter(
        key="M6.2.1.epsilon",
        requirement="M6.2.1",
        name="epsilon",
        meaning="perturbation budget",
        unit="",
        comparison=comparison,
        value=value,
        standard_value=value,
        set_by="buyer",
    )


@pytest.mark.parametrize(
    ("comparison", "scheduled", "used", "ok"),
    [
        ("floor", 0.5, 0.6, True),  # a higher bar than scheduled is stricter
        ("floor", 0.5, 0.4, False),
        ("budget", 1000, 5000, True),  # a larger attack budget is a stronger test
        ("budget", 1000, 999, False),
        ("ceiling", 0.01, 0.005, True),
        ("ceiling", 0.01, 0.02, False),
        ("setting", "linf", "l2", False),
        ("setting", "linf", "linf", True),
        ("floor", 0.5, "0.6", False),  # a string is not a number
        ("floor", 0.5, True, False),
    ],
)
def test_a_run_must_be_at_least_as_strict_as_the_schedule(comparison, scheduled, used, ok):
    assert _meets(_param(comparison, scheduled), used) is ok


def _item(*checks: str) -> AnnexRequirement:
    return AnnexRequirement(
        id="M9.9.1",
        citation="v1.0.0-M9.9.1",
        chapter="M9",
        chapter_title="Platform",
        title="Example",
        text="Verify that ...",
        level=Level.L1,
        verification="a-static",
        pass_criteria="Pass when ...",
        fail_condition="Fail when ...",
        tags=(),
        scope_reason="core requirement: always applies",
        evidence=AcceptableEvidence(kinds=(EvidenceKind.AUTOMATED,), checks=checks),
    )


def _record(
    check: str,
    state: CheckState,
    reason: str = "",
    cause: SkipCause | None = None,
    needs: tuple[str, ...] = (),
) -> CheckRecord:
    return CheckRecord(
        id=check,
        title=check,
        requirements=("M9.9.1",),
        severity="high",
        state=state,
        skip_reason=reason,
        skip_cause=cause,
        skip_needs=needs,
    )


def test_an_attestation_stands_in_only_for_checks_with_nothing_to_examine() -> None:
    base = assessment()
    idle = dataclasses.replace(
        base,
        checks=(
            _record(
                "MLC801",
                CheckState.SKIPPED,
                "no SignatureFile in the project",
                SkipCause.NO_TARGET,
            ),
            _record("MLC802", CheckState.RAN),
        ),
    )
    assert _idle(idle, _item("MLC801", "MLC802")) == (
        "MLC801: no SignatureFile in the project; MLC802: nothing to examine"
    )
    withheld = dataclasses.replace(
        base,
        checks=(
            _record(
                "MLC801",
                CheckState.SKIPPED,
                "needs capability network (--allow network)",
                SkipCause.CAPABILITY,
                ("network",),
            ),
        ),
    )
    assert _idle(withheld, _item("MLC801")) == ""
    assert _not_run(withheld, _item("MLC801")) == (
        "MLC801 was skipped: needs capability network (--allow network)"
    )
    assert _idle(base, _item("MLC999")) == ""  # a named check absent from the results


def test_the_skip_cause_decides_not_the_wording_of_the_reason() -> None:
    """A plugin's reason text that reads like 'nothing to examine' does not make an idle check,
    and a drill withheld by this run lets an attestation stand in whatever the wording."""
    base = assessment()
    mimic = dataclasses.replace(
        base,
        checks=(
            _record(
                "MLC801",
                CheckState.SKIPPED,
                "no model in the project",
                SkipCause.MODULE,
                ("mlsvs[ml]",),
            ),
        ),
    )
    assert _idle(mimic, _item("MLC801")) == ""
    drill = dataclasses.replace(
        base,
        checks=(
            _record("MLC958", CheckState.SKIPPED, "withheld", SkipCause.CAPABILITY, ("drill",)),
        ),
    )
    assert _idle(drill, _item("MLC958")) == ("MLC958: not run (drills are opt-in: --allow drill)")
    drill_and_network = dataclasses.replace(
        base,
        checks=(
            _record(
                "MLC958",
                CheckState.SKIPPED,
                "withheld",
                SkipCause.CAPABILITY,
                ("drill", "network"),
            ),
        ),
    )
    assert _idle(drill_and_network, _item("MLC958")) == ""
