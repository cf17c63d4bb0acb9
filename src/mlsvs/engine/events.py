"""Progress events, fanned out from the runner to whatever the caller attached (a progress bar)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mlsvs.model.result import Status


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    """The runner is about to execute ``total`` tasks."""

    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFinished:
    """One task ended."""

    check: str
    target: str
    status: Status
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished:
    """Every task ended (or the run was interrupted)."""

    interrupted: bool = False


Event = RunStarted | TaskFinished | RunFinished


class EventSink(Protocol):
    """Receives progress events. Must be thread-safe and must not raise."""

    def emit(self, event: Event) -> None:
        """Handle one event."""


class NullSink:
    """The default: ignore progress."""

    def emit(self, event: Event) -> None:
        """Do nothing."""
