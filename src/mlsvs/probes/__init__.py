"""Active probes of declared inference endpoints, run the way an API tester runs them:
authentication on every route and credential spelling, quotas under forged client addresses,
CORS, input handling, valid-shaped body limits and the cost curve, leakage and credential
reflection, management and weights routes, TLS.

Public API: ``probe_endpoint(endpoint, settings, credential) -> ProbeReport``, the settings
parser ``parse_settings`` (thresholds from the standard in ``mlsvs.probes.standard``) and the
pure judges in ``mlsvs.probes.judge``, ``judge_access``, ``judge_content`` and
``judge_transport``. Everything is stdlib only.
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
    ProbeVerdict,
    RequestKind,
    TlsInfo,
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
    "ProbeVerdict",
    "RequestKind",
    "TlsInfo",
    "parse_settings",
    "probe_endpoint",
]
