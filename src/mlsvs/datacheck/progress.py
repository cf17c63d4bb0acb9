"""Progress reporting for long dataset passes: a callback, injected, never a global."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]
"""``progress(label, done, total)``: ``done`` units (rows or bytes) of ``total`` (None: unknown)."""


def silent(label: str, done: int, total: int | None) -> None:
    """The default callback: report nothing."""
    del label, done, total
