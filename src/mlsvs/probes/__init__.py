"""Active probes of declared inference endpoints (authentication, quotas, input handling,
resource limits, leakage, management surface, TLS).

Public API: ``probe_endpoint(endpoint, settings, credential) -> ProbeReport``, the settings
parser ``parse_settings`` and the pure judges in ``mlsvs.probes.judge`` and
``mlsvs.probes.judge_content``. Everything is stdlib only.
"""

from __future__ import annotations

from mlsvs.probes.areas import AREA_CHECKS, AREA_REQUIREMENTS
from mlsvs.probes.runner import probe_endpoint
from mlsvs.probes.settings import ProbeSettings, parse_settings
from mlsvs.probes.types import (
    Area,
    AreaResult,
    Burst,
    Exchange,
    Failure,
    Gravity,
    Observations,
    ProbeReport,
    RequestKind,
    TlsInfo,
    Verdict,
)

__all__ = [
    "AREA_CHECKS",
    "AREA_REQUIREMENTS",
    "Area",
    "AreaResult",
    "Burst",
    "Exchange",
    "Failure",
    "Gravity",
    "Observations",
    "ProbeReport",
    "ProbeSettings",
    "RequestKind",
    "TlsInfo",
    "Verdict",
    "parse_settings",
    "probe_endpoint",
]
