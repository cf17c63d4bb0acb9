"""Active checks of declared inference endpoints (MLSVS M8 and M7.1); need ``--allow network``.

Every check reads the same probe run (see ``mlsvs.probes``): each endpoint is probed once per
run however many of these checks are selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.endpoints._probing import area_outcomes
from mlsvs.plugin import Capability, Project, Severity, check
from mlsvs.probes import Area

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_NET = (Capability.NETWORK,)
_TIMEOUT_S = 600.0


@check(
    id="MLC501",
    title="Inference endpoints reject unauthenticated and wrongly authenticated requests",
    requirements=["M8.1.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Require a credential on every inference route and answer 401/403 without one.",
)
def endpoint_requires_authentication(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Send the valid request without a credential and with a wrong one: both must get 401/403."""
    yield from area_outcomes(ctx, project, Area.AUTHENTICATION)


@check(
    id="MLC502",
    title="Inference endpoints enforce a rate limit or quota (429 under a burst)",
    requirements=["M8.2.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Add a per-principal and global quota answering 429 with Retry-After.",
)
def endpoint_rate_limited(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Send a bounded burst of valid requests: a limit must answer 429 before it ends."""
    yield from area_outcomes(ctx, project, Area.RATE_LIMIT)


@check(
    id="MLC503",
    title="Inference endpoints reject malformed input with 4xx",
    requirements=["M8.3.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Validate requests against a strict schema (types, ranges, finite numbers).",
)
def endpoint_rejects_malformed_input(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Bad JSON, wrong types, missing fields, huge, long and non-finite numbers must get 4xx."""
    yield from area_outcomes(ctx, project, Area.MALFORMED_INPUT)


@check(
    id="MLC504",
    title="Inference endpoints cut off oversized, deeply nested and slow request bodies",
    requirements=["M8.3.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Limit body size, JSON depth and body read time; answer 413/400/408 quickly.",
)
def endpoint_limits_resources(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Oversized, deeply nested and trickled bodies must be rejected quickly; server survives."""
    yield from area_outcomes(ctx, project, Area.RESOURCE_LIMITS)


@check(
    id="MLC505",
    title="Endpoint errors leak no stack traces, framework banners or internal paths",
    requirements=["M8.3.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Return generic error bodies; turn debug mode off; drop Server/X-Powered-By.",
)
def endpoint_errors_do_not_leak(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Inspect every error response of the probes for tracebacks, exception names and banners."""
    yield from area_outcomes(ctx, project, Area.ERROR_LEAKAGE)


@check(
    id="MLC506",
    title="Endpoint responses contain no debug fields, internal model names or file paths",
    requirements=["M8.4.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Return only the declared output fields (set probes.expected_fields).",
)
def endpoint_response_has_no_internals(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Inspect the successful response for debug fields, estimator names and file paths."""
    yield from area_outcomes(ctx, project, Area.RESPONSE_INTERNALS)


@check(
    id="MLC507",
    title="Model-server and ML-platform management APIs are not reachable without credentials",
    requirements=["M8.5.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Bind management APIs to a private interface or put them behind authentication.",
)
def endpoint_management_not_exposed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Try read-only management paths (TorchServe, MLflow, Ray, Triton, KServe, docs, admin)."""
    yield from area_outcomes(ctx, project, Area.MANAGEMENT_SURFACE)


@check(
    id="MLC508",
    title="Endpoints use TLS 1.2+ with a valid certificate; plain HTTP only on loopback",
    requirements=["M8.6.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Serve over TLS 1.2+ with a certificate valid for the host name.",
)
def endpoint_transport_secure(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Handshake with verification; refuse plain HTTP to any host but loopback."""
    yield from area_outcomes(ctx, project, Area.TRANSPORT)


@check(
    id="MLC509",
    title="Endpoint outputs expose a label and coarse scores, not full score vectors",
    requirements=["M7.1.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),  # probes live endpoints; project files cannot hide anything from them
    timeout_s=_TIMEOUT_S,
    remediation="Return the top-1/top-k label with rounded confidence (probes.max_score_decimals).",
)
def endpoint_outputs_minimal(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Look for probability vectors and scores with more decimals than allowed."""
    yield from area_outcomes(ctx, project, Area.SCORE_EXPOSURE)
