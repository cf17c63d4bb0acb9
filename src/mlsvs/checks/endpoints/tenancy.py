"""Per-tenant authorisation (MLC1036, M8.1.2): each declared principal's credential against
every other principal's models, versions and cached results.

With ``--allow network``, on the server of a declared endpoint::

    [tenants]
    endpoint = "scoring"                  # the [[endpoints]] name (URL host, auth header)
    [[tenants.principals]]
    name = "acme"
    auth_env = "ACME_TOKEN"
    resources = ["POST /t/acme/models/credit:predict", "GET /t/acme/models/credit/versions/3",
                 "GET /t/acme/results/4f1c"]
    [[tenants.principals]]
    name = "globex"
    auth_env = "GLOBEX_TOKEN"
    resources = ["POST /t/globex/models/credit:predict"]

A resource is ``METHOD /path`` (a bare path uses the endpoint's method); POST and PUT send the
endpoint's request template. Each principal must reach its own resources (the control: a
refusal there means the probe proves nothing) and be refused (401, 403 or 404) on every other
principal's. A cross-tenant 2xx fails; another answer (400, 5xx, no answer) is not a refusal
the probe can rely on and leaves the pair not verified. Shared mutable state across tenants
(caches, adapters, accelerator memory) is the hybrid requirement's architecture review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.endpoints._calls import Caller, auth_header, described, ok, refused, secret
from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)
from mlsvs.probes.types import RequestKind

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Endpoint, Outcome

TRAIT = "exposes_inference_api"
_BODY = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """One tenant's identity and what belongs to it."""

    name: str
    auth_env: str
    resources: tuple[tuple[str, str], ...]


def parse_tenants(
    section: Mapping[str, object], endpoints: tuple[Endpoint, ...]
) -> tuple[Endpoint, tuple[Principal, ...]]:
    """The endpoint and the principals; ``ConfigError`` (one line) on a malformed section."""
    name = section.get("endpoint")
    if name is None and len(endpoints) == 1:
        endpoint = endpoints[0]
    else:
        endpoint = next((e for e in endpoints if e.name == name), None)  # type: ignore[assignment]
        if endpoint is None:
            raise ConfigError(f"tenants.endpoint {name!r} is not a declared [[endpoints]] name")
    raw = section.get("principals")
    if not isinstance(raw, list) or len(raw) < 2:
        raise ConfigError("tenants.principals must list at least two principals")
    out: list[Principal] = []
    for i, entry in enumerate(raw):
        where = f"tenants.principals[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - {"name", "auth_env", "resources"})
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
        pname, env, res = entry.get("name"), entry.get("auth_env"), entry.get("resources")
        if not isinstance(pname, str) or not isinstance(env, str) or not pname or not env:
            raise ConfigError(f"{where} needs name and auth_env")
        if not isinstance(res, list) or not res or not all(isinstance(r, str) for r in res):
            raise ConfigError(f"{where}.resources must be a non-empty list of 'METHOD /path'")
        parsed = []
        for r in res:
            verb, _, path = r.strip().rpartition(" ")
            verb = (verb or endpoint.method).upper()
            if not path.startswith("/") or verb not in {"GET", "POST", "PUT", "PATCH"}:
                raise ConfigError(f"{where}.resources: {r!r} is not 'METHOD /path'")
            parsed.append((verb, path))
        out.append(Principal(name=pname, auth_env=env, resources=tuple(parsed)))
    if len({p.name for p in out}) != len(out):
        raise ConfigError("tenants.principals: names must be unique")
    return endpoint, tuple(out)


def probe(
    endpoint: Endpoint, principals: tuple[Principal, ...], tokens: Mapping[str, str]
) -> tuple[list[str], list[str], list[str], int]:
    """(cross-tenant successes, own resources refused, unclear answers, pairs refused)."""
    caller = Caller(url=endpoint.url, secrets=tuple(tokens.values()))
    template = endpoint.request_template.strip()
    body = json.loads(template) if template else None
    leaks: list[str] = []
    blind: list[str] = []
    unclear: list[str] = []
    refusals = 0
    for p in principals:
        headers = auth_header(endpoint, tokens[p.name])
        for verb, path in p.resources:
            ex = caller.send(verb, path, headers=headers, body=body if verb in _BODY else None)
            if not ok(ex):
                blind.append(f"{p.name} on its own {verb} {path}: {described(ex)}")
        for q in principals:
            if q is p:
                continue
            for verb, path in q.resources:
                ex = caller.send(
                    verb,
                    path,
                    headers=headers,
                    body=body if verb in _BODY else None,
                    kind=RequestKind.WRONG_AUTH,
                    variant=f"{p.name}->{q.name}",
                )
                if ok(ex):
                    leaks.append(
                        f"{p.name}'s credential reads {q.name}'s {verb} {path} ({ex.status})"
                    )
                elif refused(ex):
                    refusals += 1
                else:
                    unclear.append(f"{p.name} on {q.name}'s {described(ex)}")
    return leaks, blind, unclear, refusals


@check(
    id="MLC1036",
    title="A tenant's credential is refused on every other tenant's models and results",
    requirements=["M8.1.2"],
    applies_to=Project,
    severity=Severity.CRITICAL,
    capabilities={Capability.NETWORK},
    reads=(),
    timeout_s=600.0,
    remediation="Authorise every request on (principal, tenant, model, version) and include "
    "the tenant in cache keys and adapter lookups; answer 403/404 across tenants.",
)
def tenants_isolated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Cross-tenant probes with each declared principal's credential; own resources are the
    control."""
    section = ctx.section("tenants")
    if not project.endpoints:
        if TRAIT in project.traits:
            yield errored(f"the project declares {TRAIT}: declare the endpoint ([[endpoints]])")
        else:
            yield not_applicable("no inference endpoint declared")
        return
    if not section:
        yield abstained(
            "no tenants declared ([tenants] with two principals and their resources): "
            "cross-tenant access is not probed"
        )
        return
    try:
        endpoint, principals = parse_tenants(section, project.endpoints)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("probing endpoints needs --allow network")
        return
    tokens = {p.name: secret(p.auth_env) or "" for p in principals}
    missing = [f"${p.auth_env}" for p in principals if not tokens[p.name]]
    if missing:
        yield errored(f"not verified: set the principals' credentials ({', '.join(missing)})")
        return
    try:
        leaks, blind, unclear, refusals = probe(endpoint, principals, tokens)
    except (ConfigError, ValueError) as exc:
        yield errored(f"{endpoint.name}: {exc}")
        return
    facts = (("endpoint", endpoint.name), ("principals", ",".join(p.name for p in principals)))
    if leaks:
        yield failed(f"{endpoint.name}: " + "; ".join(leaks[:6]), facts=facts)
    elif blind or unclear:
        detail = [*blind, *unclear]
        yield not_verified(
            f"{endpoint.name}: the probes cannot decide: " + "; ".join(detail[:4]),
            [Gap(item=d[:120], reason=GapReason.UNSUPPORTED, detail=d[:300]) for d in detail],
            facts=facts,
        )
    else:
        yield passed(
            f"{endpoint.name}: {refusals} cross-tenant request(s) over {len(principals)} "
            "principals refused; each principal reaches its own resources",
            facts=facts,
        )
