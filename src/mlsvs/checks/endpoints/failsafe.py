"""Fault injection shows the fail-safe is taken (MLC1037, M8.3.4).

With ``--allow network``, against a declared endpoint::

    [failsafe]
    endpoint = "scoring"
    fallback = { path = "predictions.0.decision", values = ["refer_to_human", "abstain"] }
    refusal_status = [422, 503]         # answers that are the fail-safe too (default: none)

    [[failsafe.faults]]
    name = "out_of_distribution"
    body = '{"instances": [[40.0, -12.0, 900.0, 0.0, 3.0, -7.0]]}'
    [[failsafe.faults]]
    name = "low_confidence"
    body = '{"instances": [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]}'
    [[failsafe.faults]]
    name = "model_error"
    headers = { "X-Fault-Inject" = "model-error" }   # the service's staging fault hook
    [[failsafe.faults]]
    name = "timeout"
    headers = { "X-Fault-Inject" = "delay-30s" }

Each of the four faults the requirement lists (``out_of_distribution``, ``low_confidence``,
``model_error``, ``timeout``) must be declared; a fault without a ``body`` sends the endpoint's
request template. First the template itself must get an ordinary decision (not the fallback:
otherwise the detector proves nothing). Then every fault must be answered with the fallback
(the value at ``fallback.path`` is one of ``fallback.values``) or with a ``refusal_status``; a
2xx answer carrying anything else is an unqualified model decision, and a 5xx or no answer
within ``timeout_s`` is a failure surfacing to the caller: both fail. An out-of-
distribution input is also derived from the template (every number times 1e6) when none is
declared. That the design defines these actions is the hybrid requirement's review part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.endpoints._calls import Caller, auth_header, described, json_body, ok, secret
from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Endpoint,
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

    from mlsvs.plugin import CheckContext, Outcome
    from mlsvs.probes.types import Exchange

REQUIRED = ("out_of_distribution", "low_confidence", "model_error", "timeout")
_FAULT_KEYS = frozenset({"name", "body", "headers"})
_KEYS = frozenset({"endpoint", "fallback", "refusal_status", "faults", "timeout_s", "provider"})
"""``provider`` is the provider drill's table (MLC1039), read by its own check."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One injected condition."""

    name: str
    body: object
    headers: tuple[tuple[str, str], ...] = ()
    derived: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FailSafe:
    """The parsed ``[failsafe]`` section."""

    endpoint: Endpoint
    path: tuple[str, ...]
    values: frozenset[str]
    refusal: frozenset[int]
    faults: tuple[Fault, ...]
    timeout_s: float


def lookup(value: object, path: tuple[str, ...]) -> object:
    """``value`` at a dotted path (list items by index); None when absent (pure)."""
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _scaled(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return (value or 1) * 1e6
    if isinstance(value, list):
        return [_scaled(v) for v in value]
    if isinstance(value, dict):
        return {k: _scaled(v) for k, v in value.items()}
    return value


def parse_failsafe(section: Mapping[str, object], endpoints: tuple[Endpoint, ...]) -> FailSafe:
    """The section, validated; ``ConfigError`` with one line otherwise."""
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(f"failsafe: unknown key(s) {', '.join(unknown)}")
    name = section.get("endpoint")
    endpoint = next((e for e in endpoints if e.name == name), None)
    if endpoint is None and name is None and len(endpoints) == 1:
        endpoint = endpoints[0]
    if endpoint is None:
        raise ConfigError(f"failsafe.endpoint {name!r} is not a declared [[endpoints]] name")
    try:
        template = json.loads(endpoint.request_template)
    except ValueError:
        raise ConfigError(f"endpoint {endpoint.name!r} needs a JSON request_template") from None
    fb = section.get("fallback")
    if not isinstance(fb, dict) or not isinstance(fb.get("path"), str):
        raise ConfigError("failsafe.fallback needs path (dotted JSON path of the decision)")
    values = fb.get("values")
    if not isinstance(values, list) or not values:
        raise ConfigError("failsafe.fallback.values must list the fail-safe decision values")
    refusal = section.get("refusal_status", [])
    if not isinstance(refusal, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in refusal
    ):
        raise ConfigError("failsafe.refusal_status must list HTTP status codes 400-599")
    faults: list[Fault] = []
    raw = section.get("faults", [])
    if not isinstance(raw, list):
        raise ConfigError("failsafe.faults must be an array of tables")
    for i, entry in enumerate(raw):
        where = f"failsafe.faults[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where} must be a table with a name")
        extra = sorted(set(entry) - _FAULT_KEYS)
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}")
        body: object = template
        if "body" in entry:
            if not isinstance(entry["body"], str):
                raise ConfigError(f"{where}.body must be a JSON string")
            try:
                body = json.loads(entry["body"])
            except ValueError:
                raise ConfigError(f"{where}.body is not valid JSON") from None
        headers = entry.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ConfigError(f"{where}.headers must be a table of strings")
        faults.append(
            Fault(
                name=entry["name"],
                body=body,
                headers=tuple((str(k), v) for k, v in headers.items()),
            )
        )
    if not any(f.name == "out_of_distribution" for f in faults):
        faults.append(Fault(name="out_of_distribution", body=_scaled(template), derived=True))
    timeout = section.get("timeout_s", 35.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("failsafe.timeout_s must be a positive number")
    return FailSafe(
        endpoint=endpoint,
        path=tuple(fb["path"].split(".")),
        values=frozenset(str(v) for v in values),
        refusal=frozenset(refusal),
        faults=tuple(faults),
        timeout_s=float(timeout),
    )


def fallback_taken(fs: FailSafe, ex: Exchange) -> bool | None:
    """True: the fail-safe answer; False: an unqualified decision; None: neither (pure)."""
    if ex.status in fs.refusal:
        return True
    if not ok(ex):
        return None
    decision = lookup(json_body(ex), fs.path)
    return decision is not None and str(decision) in fs.values


@check(
    id="MLC1037",
    title="Injected faults (OOD, low confidence, model error, timeout) get the fail-safe",
    requirements=["M8.3.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities={Capability.NETWORK},
    reads=(),
    timeout_s=900.0,
    remediation="Route low-confidence, out-of-distribution, failed and timed-out predictions "
    "to the defined fallback (abstain, human review, safe default) and declare the faults in "
    "[failsafe].",
)
def failsafe_taken(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Send each declared fault; every answer must be the fallback or a refusal status."""
    if not project.endpoints:
        yield not_applicable("no inference endpoint declared")
        return
    section = ctx.section("failsafe")
    if not section:
        yield abstained(
            "no fail-safe declared ([failsafe] with the fallback and the faults to inject)"
        )
        return
    try:
        fs = parse_failsafe(section, project.endpoints)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("probing endpoints needs --allow network")
        return
    ep = fs.endpoint
    credential = secret(ep.auth_env)
    if ep.auth_env and not credential:
        yield errored(f"not verified: set the credential in ${ep.auth_env}")
        return
    try:
        caller = Caller(
            url=ep.url, secrets=(credential,) if credential else (), timeout_s=fs.timeout_s
        )
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    auth = auth_header(ep, credential)
    path, method = caller.address.path, ep.method.upper()
    base = caller.send(method, path, headers=auth, body=json.loads(ep.request_template))
    if fallback_taken(fs, base) is not False:
        yield not_verified(
            f"{ep.name}: the ordinary request does not get an ordinary decision "
            f"({described(base)}), so the fallback cannot be told apart",
            Gap(item=ep.name, reason=GapReason.UNSUPPORTED, detail=described(base)),
        )
        return
    unqualified: list[str] = []
    unclear: list[str] = []
    taken: list[str] = []
    for fault in fs.faults:
        ex = caller.send(
            method,
            path,
            headers=(*auth, *fault.headers),
            body=fault.body,
            kind=RequestKind.HUGE_NUMBERS if fault.derived else RequestKind.BASELINE,
            variant=fault.name,
        )
        verdict = fallback_taken(fs, ex)
        label = f"{fault.name}{' (derived)' if fault.derived else ''}"
        if verdict is True:
            taken.append(label)
        elif verdict is False:
            decision = lookup(json_body(ex), fs.path)
            unqualified.append(f"{label} got an unqualified decision {decision!r} ({ex.status})")
        elif ex.status is None or ex.status >= 500:
            unqualified.append(f"{label} surfaced as a failure, not the fail-safe: {described(ex)}")
        else:
            unclear.append(f"{label}: {described(ex)}")
    facts = tuple(("fallback", t) for t in taken)
    missing = [n for n in REQUIRED if not any(f.name == n for f in fs.faults)]
    if unqualified:
        yield failed(f"{ep.name}: " + "; ".join(unqualified), facts=facts)
    elif unclear or missing:
        gaps = [
            Gap(item=f"fault {u.split(':')[0]}", reason=GapReason.UNSUPPORTED, detail=u)
            for u in unclear
        ]
        gaps += [Gap(item=f"fault {m}", reason=GapReason.NOT_PRESENT) for m in missing]
        why = [*unclear, *(f"{m} not injected" for m in missing)]
        shown = ", ".join(taken) or "no fault"
        yield not_verified(
            f"{ep.name}: the fallback was taken for {shown}; cannot decide: {'; '.join(why)}",
            gaps,
            facts=facts,
        )
    else:
        yield passed(
            f"{ep.name}: every injected fault got the fail-safe ({', '.join(taken)})", facts=facts
        )
