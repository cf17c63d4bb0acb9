"""Shared plumbing of the endpoint checks: gating, the per-run probe cache, outcome mapping."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, assert_never

from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    OptionError,
    Severity,
    abstained,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)
from mlsvs.probes import Gravity, ProbeVerdict, parse_settings, probe_endpoint
from mlsvs.probes.cache import SHARED, credential_digest
from mlsvs.probes.standard import THRESHOLDS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Endpoint, Outcome, Project
    from mlsvs.probes import Area, AreaResult

TRAIT = "exposes_inference_api"
_SEVERITY = {
    Gravity.LOW: Severity.LOW,
    Gravity.MEDIUM: Severity.MEDIUM,
    Gravity.HIGH: Severity.HIGH,
}


def area_outcomes(ctx: CheckContext, project: Project, area: Area) -> Iterator[Outcome]:
    """One outcome per declared endpoint for ``area`` (probing each endpoint once per run)."""
    if not project.endpoints:
        if TRAIT in project.traits:
            yield errored(
                f"the project declares {TRAIT}: declare the endpoint to probe "
                "([[endpoints]] with url and request_template)"
            )
        else:
            yield abstained("no inference endpoint declared")
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("probing endpoints needs --allow network")
        return
    for endpoint in project.endpoints:
        yield _outcome(ctx, project, endpoint, area)


def _outcome(ctx: CheckContext, project: Project, endpoint: Endpoint, area: Area) -> Outcome:
    level = int(ctx.target_level) if ctx.target_level is not None else None
    try:
        # Read as float: the standard may write 60 or 60.0; parse_settings restores the type.
        standard = {
            name: ctx.parameter(t.key, float(t.default(level))) for name, t in THRESHOLDS.items()
        }
    except OptionError as exc:
        return errored(f"{endpoint.name}: standard parameter: {exc}", key=endpoint.name)
    try:
        settings = parse_settings(ctx.section("probes"), endpoint.name, standard)
    except ConfigError as exc:
        return errored(f"{endpoint.name}: {exc.diagnostics()}", key=endpoint.name)
    credential = os.environ.get(endpoint.auth_env) if endpoint.auth_env else None
    key = (endpoint, settings, credential_digest(credential))
    report = SHARED.get(project, key, lambda: probe_endpoint(endpoint, settings, credential))
    return to_outcome(endpoint, report.result(area))


def to_outcome(endpoint: Endpoint, result: AreaResult) -> Outcome:
    """Map an area result to a check outcome, naming the endpoint."""
    message = f"{endpoint.name}: {result.message}"
    facts = tuple(sorted((("endpoint", endpoint.name), *result.facts)))
    match result.verdict:
        case ProbeVerdict.PASS:
            return passed(message, facts=facts, key=endpoint.name, gaps=result.gaps)
        case ProbeVerdict.FAIL:
            severity = _SEVERITY[result.gravity] if result.gravity else None
            return failed(
                message, facts=facts, key=endpoint.name, severity=severity, gaps=result.gaps
            )
        case ProbeVerdict.NOT_VERIFIED:
            return not_verified(message, result.gaps, facts=facts, key=endpoint.name)
        case ProbeVerdict.ERROR:
            return errored(message, facts=facts, key=endpoint.name)
        case ProbeVerdict.NOT_APPLICABLE:
            return not_applicable(message, facts=facts, key=endpoint.name)
        case _:
            assert_never(result.verdict)
