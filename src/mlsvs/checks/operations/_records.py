"""Shared pieces of the operations checks: configured JSON Lines records, timestamps, and the
outcome for a section that is not configured."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.platform._sources import items, mapping
from mlsvs.checks.platform.logs import SampleError, read_records, selected
from mlsvs.plugin import abstained

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlsvs.plugin import CheckContext, Outcome

__all__ = [
    "SampleError",
    "items",
    "mapping",
    "not_configured",
    "read_records",
    "section",
    "selected",
    "text",
    "timestamp",
    "today_utc",
]


def section(ctx: CheckContext, name: str, *sub: str) -> Mapping[str, object]:
    """``[name.sub...]`` of the configuration, empty when absent."""
    value: Mapping[str, object] = ctx.section(name)
    for key in sub:
        value = mapping(value.get(key))
    return value


def not_configured(where: str, what: str) -> Outcome:
    """Nothing in the configuration points at the records: the check abstains, so the
    requirement stays not verified unless a valid attestation stands in."""
    return abstained(
        f"no [{where}] in the configuration, so no record shows {what}", key="not-configured"
    )


def text(record: Mapping[str, object], *keys: str) -> str:
    """The first non-empty string value among ``keys`` ('' when none)."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return ""


def timestamp(value: object) -> dt.datetime | None:
    """An ISO 8601 date or time (``Z`` allowed) as an aware UTC datetime; None otherwise."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def today_utc(ctx: CheckContext) -> dt.datetime:
    """The run's date as the end of that day in UTC."""
    return dt.datetime.combine(ctx.today, dt.time(23, 59, 59), tzinfo=dt.UTC)
