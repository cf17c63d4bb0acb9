"""MLOps services require authentication (MLSVS M9.2.1), probed without credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


@check(
    id="MLC960",
    title="MLOps services (tracking, registry, notebooks, pipelines) refuse unauthenticated "
    "requests",
    requirements=["M9.2.1"],
    applies_to=Project,
    severity=Severity.CRITICAL,
    capabilities=(Capability.NETWORK,),
    reads=(),
    timeout_s=300.0,
    remediation="Put the service behind an authenticating proxy (OIDC/SSO) or enable its own "
    "authentication; bind it to a private interface.",
)
def mlops_services_authenticated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """GET each declared service's read-only API routes (MLflow, Kubeflow Pipelines, Ray
    dashboard, TensorBoard, Jupyter, or declared paths) and its UI without credentials: every
    answer must be 401/403 or a redirect to a login page; data or the bare UI fails."""
    from mlsvs.probes.mlops import Answer, parse_services, probe_service

    section = ctx.section("mlops")
    if not section:
        yield not_applicable("no MLOps service declared ([[tool.mlsvs.mlops.services]])")
        return
    try:
        services = parse_services(section)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not services:
        yield errored("not verified: mlops.services is empty")
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("not verified: probing MLOps services needs --allow network")
        return
    for s in services:
        probes = probe_service(s)
        facts = tuple(sorted((("kind", s.kind.value), ("service", s.name), ("url", s.url))))
        exposed = [p for p in probes if p.answer is Answer.EXPOSED]
        refused = [p for p in probes if p.answer is Answer.REFUSED]
        seen = ", ".join(f"{p.path} {p.status or 'no answer'} {p.answer.value}" for p in probes)
        if exposed:
            yield failed(
                f"{s.name} ({s.kind.value}) answers without credentials: "
                + ", ".join(f"{p.path} -> {p.status}" for p in exposed),
                facts=facts,
                key=s.name,
            )
            continue
        unsure = [p for p in probes if p.answer in (Answer.UNCLEAR, Answer.UNREACHABLE)]
        if not refused or unsure:
            reason = GapReason.UNREADABLE if unsure else GapReason.UNSUPPORTED
            yield not_verified(
                f"{s.name}: could not show that every route refuses ({seen})",
                tuple(
                    Gap(
                        item=f"{s.name}{p.path}",
                        reason=reason,
                        detail=f"{p.status} {p.answer.value}",
                    )
                    for p in (unsure or probes)
                ),
                facts=facts,
                key=s.name,
            )
            continue
        yield passed(
            f"{s.name} ({s.kind.value}) refuses unauthenticated requests: {seen}",
            facts=facts,
            key=s.name,
        )
