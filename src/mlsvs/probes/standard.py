"""The probe thresholds the standard sets per level, with their parameter keys.

The checks read each key with ``ctx.parameter(key, level_default)`` (the catalog defines the
keys); a configuration can only make a threshold stricter (see ``parse_settings``). The L1 values
are also ``ProbeSettings``' defaults, used by ``mlsvs probe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeThreshold:
    """One level-dependent threshold."""

    key: str
    setting: str
    """The ``ProbeSettings`` field it bounds."""
    levels: tuple[int | float, int | float, int | float]
    """L1, L2, L3."""

    def default(self, level: int | None) -> int | float:
        """The value for ``level`` (L1 when no level is set)."""
        return self.levels[min(3, max(1, level or 1)) - 1]


THRESHOLDS = MappingProxyType(
    {
        t.setting: t
        for t in (
            ProbeThreshold(
                key="M8.2.1.max_requests_before_limit",
                setting="burst",
                levels=(60, 60, 30),
            ),
            ProbeThreshold(
                key="M8.3.2.max_body_bytes",
                setting="max_body_bytes",
                levels=(16 * MIB, 8 * MIB, 4 * MIB),
            ),
            ProbeThreshold(
                key="M8.3.2.max_reject_s", setting="max_reject_s", levels=(2.0, 2.0, 1.0)
            ),
            ProbeThreshold(
                key="M8.3.2.max_cost_exponent",
                setting="max_cost_exponent",
                levels=(1.5, 1.5, 1.25),
            ),
            ProbeThreshold(
                key="M8.3.2.max_request_s", setting="max_request_s", levels=(10.0, 5.0, 2.0)
            ),
            ProbeThreshold(
                key="M7.1.1.max_score_decimals", setting="max_score_decimals", levels=(3, 2, 2)
            ),
        )
    }
)
