"""MLOps services require authentication (MLSVS M9.2.1), probed without credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    DeploymentConfig,
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
    reads=(DeploymentConfig,),
    timeout_s=300.0,
    remediation="Put the service behind an authenticating proxy (OIDC/SSO) or enable its own "
    "authentication; bind it to a private interface.",
)
def mlops_services_authenticated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """GET each declared service's read-only API routes (MLflow, Kubeflow Pipelines, Ray
    dashboard, TensorBoard, Jupyter, or declared paths) and its UI without credentials: every
    answer must be 401/403 or a redirect to a login page; data or the bare UI fails."""
    from mlsvs.probes.mlops import Answer, deployed_services, parse_services, probe_service

    section = ctx.section("mlops")
    found = deployed_services(_deployment_texts(project))
    if not section:
        where = ", ".join(sorted({f"{k.value} in {p}" for k, p in found}))
        yield not_verified(
            "no MLOps services declared: list them in [[tool.mlsvs.mlops.services]], or set "
            "mlops.services = [] when the system runs none"
            + (f" (the project deploys {where})" if where else ""),
            Gap(item="mlops.services", reason=GapReason.NOT_PRESENT, detail=where),
        )
        return
    try:
        services = parse_services(section)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    declared = {s.kind for s in services}
    undeclared = sorted({f"{k.value} in {p}" for k, p in found if k not in declared})
    if undeclared:
        yield not_verified(
            f"the project deploys MLOps services that are not declared: {', '.join(undeclared)}",
            tuple(Gap(item=u, reason=GapReason.NOT_PRESENT) for u in undeclared),
        )
    if not services:
        if not undeclared:
            yield not_applicable(
                "the configuration declares no MLOps service (mlops.services = []) and no "
                "deployment file runs one"
            )
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


_MAX_BYTES = 1024 * 1024


def _deployment_texts(project: Project) -> dict[str, str]:
    """Dockerfiles, compose files and manifests discovery found (each at most 1 MiB)."""
    texts: dict[str, str] = {}
    for a in project.artifacts:
        if isinstance(a, DeploymentConfig):
            try:
                with a.absolute.open("rb") as fh:
                    texts[a.display_path] = fh.read(_MAX_BYTES).decode("utf-8", "replace")
            except OSError:
                continue
    return texts
