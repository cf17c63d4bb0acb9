"""What one LLM probe run returns."""

from __future__ import annotations

from dataclasses import dataclass

from mlsvs.model.coverage import Gap
from mlsvs.model.result import Facts, Measurement


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """``ok``: True pass, False fail, None not verified (``gaps`` says why)."""

    name: str
    ok: bool | None
    message: str
    measurements: tuple[Measurement, ...] = ()
    facts: Facts = ()
    gaps: tuple[Gap, ...] = ()
