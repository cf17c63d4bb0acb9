"""What a check reports about one target: outcomes, measurements and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.model.coverage import Gap
from mlsvs.model.severity import Location as Location  # noqa: PLC0414
from mlsvs.model.severity import Severity as Severity  # noqa: PLC0414

if TYPE_CHECKING:
    from collections.abc import Iterable


@enum.unique
class Status(enum.StrEnum):
    """Outcome of one check against one target."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    """The check could not run to the end (crash, timeout, bad configuration): never a pass."""
    NOT_VERIFIED = "not_verified"
    """The check ran but could not cover its target (unreadable, too large, unparseable,
    unsupported, outside the database); the outcome's ``gaps`` name what and why."""
    ABSTAINED = "abstained"
    """The check found nothing of its kind to examine (no dataset, no BOM, no endpoint
    declared): absence in the project is not evidence that the requirement does not apply, so
    the outcome neither passes nor makes the requirement not applicable; other checks or an
    attestation decide, and with neither the requirement stays not verified."""


Facts = tuple[tuple[str, str], ...]
"""Machine-readable evidence as sorted key/value pairs, e.g. ``(("format", "pickle"),)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPoint:
    """One point of a measured curve (robust accuracy at epsilon, a ROC point)."""

    x: float
    y: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """A number produced by a runtime test, with everything needed to reproduce it."""

    name: str
    """Stable metric name, e.g. ``robust_accuracy``, ``mia_auc``."""
    value: float
    unit: str = ""
    lower: float | None = None
    """Lower bound of the confidence interval, when one was computed."""
    upper: float | None = None
    confidence: float | None = None
    """Confidence level of ``lower``/``upper`` (e.g. 0.95)."""
    threshold: float | None = None
    """The threshold the verdict compared ``value`` with."""
    parameters: Facts = ()
    """Attack, epsilon, norm, steps, seeds, sample size, query counts ..."""
    series: tuple[SeriesPoint, ...] = ()
    x_label: str = ""
    y_label: str = ""
    x_log: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a check function yields. The engine turns it into a ``Finding``."""

    status: Status
    message: str
    location: Location | None = None
    facts: Facts = ()
    key: str = ""
    """Optional discriminator so several outcomes on one target get distinct fingerprints."""
    severity: Severity | None = None
    """Overrides the check's declared severity for this outcome (e.g. a scanner rule)."""
    rule: str = ""
    """Optional sub-rule ID (e.g. a scanner or code rule) that produced the outcome."""
    measurements: tuple[Measurement, ...] = ()
    gaps: tuple[Gap, ...] = ()
    """What the check could not cover on this target. Any gap keeps the requirement from
    passing (it becomes *not verified*, gaps named), whatever the status; a FAIL still fails."""


def _gaps(gaps: Gap | Iterable[Gap]) -> tuple[Gap, ...]:
    return (gaps,) if isinstance(gaps, Gap) else tuple(gaps)


def passed(
    message: str,
    *,
    location: Location | None = None,
    facts: Facts = (),
    key: str = "",
    measurements: tuple[Measurement, ...] = (),
    gaps: Gap | Iterable[Gap] = (),
) -> Outcome:
    """The target satisfies the check, on what it covered (``gaps``: what it could not)."""
    return Outcome(
        status=Status.PASS,
        message=message,
        location=location,
        facts=facts,
        key=key,
        measurements=measurements,
        gaps=_gaps(gaps),
    )


def failed(
    message: str,
    *,
    location: Location | None = None,
    facts: Facts = (),
    key: str = "",
    severity: Severity | None = None,
    rule: str = "",
    measurements: tuple[Measurement, ...] = (),
    gaps: Gap | Iterable[Gap] = (),
) -> Outcome:
    """The target violates the check (``gaps``: what else it could not cover)."""
    return Outcome(
        status=Status.FAIL,
        message=message,
        location=location,
        facts=facts,
        key=key,
        severity=severity,
        rule=rule,
        measurements=measurements,
        gaps=_gaps(gaps),
    )


def not_applicable(message: str, *, facts: Facts = (), key: str = "") -> Outcome:
    """The check does not apply to this target (the reason is kept as evidence)."""
    return Outcome(status=Status.NOT_APPLICABLE, message=message, facts=facts, key=key)


def abstained(message: str, *, facts: Facts = (), key: str = "") -> Outcome:
    """Nothing of the check's kind to examine here (``message`` says what was looked for).

    Use it instead of ``not_applicable`` when the check only saw that something is *absent*
    from the project (the datasets may live elsewhere, the service may not be declared):
    not applicable is a claim about the system, abstaining is a statement about this check.
    """
    return Outcome(status=Status.ABSTAINED, message=message, facts=facts, key=key)


def not_verified(
    message: str,
    gaps: Gap | Iterable[Gap],
    *,
    location: Location | None = None,
    facts: Facts = (),
    key: str = "",
) -> Outcome:
    """The check could not cover the target; ``gaps`` (at least one) say what and why.

    Use it instead of ``errored`` when the input, not the check, is the obstacle: an
    unreadable or truncated file, an unsupported format, a package outside the database.
    """
    found = _gaps(gaps)
    if not found:
        raise ValueError("not_verified needs at least one gap")
    return Outcome(
        status=Status.NOT_VERIFIED,
        message=message,
        location=location,
        facts=facts,
        key=key,
        gaps=found,
    )


def errored(
    message: str, *, location: Location | None = None, facts: Facts = (), key: str = ""
) -> Outcome:
    """The check could not decide. Blocks the level; never counts as a pass."""
    return Outcome(status=Status.ERROR, message=message, location=location, facts=facts, key=key)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRef:
    """What a finding is about: a path relative to the project root (``.`` = the project)."""

    path: str
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """An outcome stamped by the engine with the check's identity. Passes are findings too."""

    id: str
    """Stable fingerprint: sha256 of check, target path, location and key."""
    check: str
    requirements: tuple[str, ...]
    severity: Severity
    status: Status
    target: TargetRef
    message: str
    location: Location | None = None
    facts: Facts = ()
    rule: str = ""
    waiver: str | None = None
    """ID of the waiver that covers this failure, if any."""
    duration_ms: int = 0
    measurements: tuple[Measurement, ...] = ()
    gaps: tuple[Gap, ...] = ()
    """What the check could not cover (copied from the outcome)."""
