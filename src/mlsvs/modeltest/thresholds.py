"""Per-level thresholds and the pure verdict logic that compares measurements with them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlsvs.errors import ConfigError

LEVELS = ("L1", "L2", "L3")


@enum.unique
class Direction(enum.StrEnum):
    """Whether a measurement must stay above (``min``) or below (``max``) its threshold."""

    MIN = "min"
    MAX = "max"


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """One metric's limit per level, e.g. ``robust_accuracy_min = {L1 = 0.5, L2 = 0.6}``."""

    key: str
    direction: Direction
    per_level: tuple[tuple[str, float], ...]

    def at(self, level: str | None) -> tuple[str, float] | None:
        """The (level, limit) that decides: the named level, else the strictest declared."""
        table = dict(self.per_level)
        if level is not None:
            return (level, table[level]) if level in table else None
        if not table:
            return None
        top = max(table, key=LEVELS.index)
        return (top, table[top])

    def met(self, value: float, limit: float) -> bool:
        """Whether ``value`` satisfies ``limit`` in this threshold's direction."""
        return value >= limit if self.direction is Direction.MIN else value <= limit

    def levels_met(self, value: float) -> tuple[str, ...]:
        """Every declared level whose limit ``value`` satisfies."""
        return tuple(lv for lv, lim in self.per_level if self.met(value, lim))

    def describe(self) -> str:
        """``L1<=0.6,L2<=0.55`` style text for report parameters."""
        op = ">=" if self.direction is Direction.MIN else "<="
        return ",".join(f"{lv}{op}{lim:g}" for lv, lim in self.per_level)


def parse_threshold(key: str, raw: object, where: str) -> Threshold:
    """Parse ``0.5`` (all levels) or ``{L1 = 0.5, L2 = 0.6}``."""
    direction = Direction.MIN if key.endswith("_min") else Direction.MAX
    if isinstance(raw, bool) or not isinstance(raw, (int, float, dict)):
        raise ConfigError(f"{where}.{key} must be a number or a table like {{L1 = 0.5}}")
    if not isinstance(raw, dict):
        return Threshold(
            key=key, direction=direction, per_level=tuple((lv, float(raw)) for lv in LEVELS)
        )
    pairs: list[tuple[str, float]] = []
    for lv, value in raw.items():
        if lv not in LEVELS:
            raise ConfigError(f"{where}.{key}: unknown level {lv!r} (use {', '.join(LEVELS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}.{key}.{lv} must be a number")
        pairs.append((lv, float(value)))
    return Threshold(key=key, direction=direction, per_level=tuple(sorted(pairs)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdDecision:
    """Result of comparing one measured value with its threshold."""

    ok: bool | None
    """``None``: no threshold for the level, so nothing was verified."""
    level: str | None
    limit: float | None
    text: str


def decide(value: float, threshold: Threshold | None, level: str | None) -> ThresholdDecision:
    """Compare a value with the threshold that applies at ``level`` (fail closed when none)."""
    if threshold is None:
        return ThresholdDecision(ok=None, level=level, limit=None, text="no threshold configured")
    chosen = threshold.at(level)
    if chosen is None:
        return ThresholdDecision(
            ok=None, level=level, limit=None, text=f"{threshold.key} has no value for {level}"
        )
    lv, limit = chosen
    ok = threshold.met(value, limit)
    op = ">=" if threshold.direction is Direction.MIN else "<="
    verdict = "meets" if ok else "violates"
    return ThresholdDecision(
        ok=ok, level=lv, limit=limit, text=f"{value:.4f} {verdict} {lv} limit {op} {limit:g}"
    )
