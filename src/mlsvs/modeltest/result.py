"""What one runtime test returns: a decision, a message and its measurements."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlsvs.model.coverage import Gap, GapReason
from mlsvs.model.result import Facts, Measurement


@enum.unique
class TestName(enum.StrEnum):
    """The runtime tests, one per behavioural check."""

    __test__ = False

    ACCURACY = "clean_accuracy"
    BLACKBOX = "blackbox_evasion"
    WHITEBOX = "whitebox_evasion"
    MEMBERSHIP = "membership_inference"
    ATTRIBUTE = "attribute_inference"
    EXTRACTION = "extraction"
    OUTPUT = "output_minimisation"
    CALIBRATION = "calibration"
    CORRUPTION = "corruption_robustness"
    OOD = "ood_detection"
    COMPUTE = "worst_case_compute"
    MEMORISATION = "memorisation"
    DECLARED = "declared_metrics"
    ACCEPTANCE = "acceptance"
    DERIVED = "derived_evaluation"
    REPRODUCIBILITY = "reproducibility"
    SUBGROUPS = "subgroup_robustness"
    RECONSTRUCTION = "reconstruction"
    PROPERTY = "property_inference"
    ADAPTIVE = "adaptive_evaluation"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """``ok``: True pass, False fail, None could not verify (errored)."""

    __test__ = False  # not a pytest test class

    name: TestName
    ok: bool | None
    message: str
    measurements: tuple[Measurement, ...] = ()
    facts: Facts = ()
    applicable: bool = True
    """False: the requirement does not apply to this model (e.g. no scores returned)."""
    gaps: tuple[Gap, ...] = ()
    """With ``ok=None``: the measurement ran but cannot decide (masking, too few samples, a
    failed attack) — not verified, not an error of the check."""


def limited(item: str, detail: str, reason: GapReason = GapReason.LIMIT) -> tuple[Gap, ...]:
    """The gap of a test that ran but could not decide."""
    return (Gap(item=item, reason=reason, detail=detail[:300]),)


def params(**values: object) -> Facts:
    """Sorted ``(key, text)`` pairs for ``Measurement.parameters`` / outcome facts."""
    out: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = f"{value:.6g}"
        elif isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, (list, tuple)):
            text = ",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in value)
        else:
            text = str(value)
        out.append((key, text))
    return tuple(sorted(out))
