"""Pure judgements of access, quota, input handling, resource limits and transport.

Each function takes the ``Observations`` and returns one ``AreaResult``. The precedence is
always: evidence of a failure beats everything; otherwise anything inconclusive is an ERROR;
only then PASS. No network, no clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.probes.redact import excerpt
from mlsvs.probes.types import (
    MALFORMED_KINDS,
    RESOURCE_KINDS,
    Area,
    AreaResult,
    Failure,
    Gravity,
    ProbeVerdict,
    RequestKind,
)

if TYPE_CHECKING:
    from mlsvs.model.coverage import Gap
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.types import Exchange, Observations

Facts = tuple[tuple[str, str], ...]
_AUTH_REJECTIONS = frozenset({401, 403})


def shown_path(path: str) -> str:
    """The path with its query elided: a URL from the configuration may carry a token there."""
    bare, query, _ = path.partition("?")
    return f"{bare}?…" if query else bare


def exchange_facts(e: Exchange, label: str = "") -> Facts:
    """Status, timing and a redacted excerpt of one exchange, keyed by its label."""
    key = label or str(e.kind)
    request = f"{e.method} {shown_path(e.path)} (port {e.port})"
    facts: list[tuple[str, str]] = [(f"{key}.request", request)]
    if e.status is not None:
        facts.append((f"{key}.status", str(e.status)))
        if e.body:
            facts.append((f"{key}.excerpt", excerpt(e.body)))
        location = e.header("location")
        if location:
            facts.append((f"{key}.location", excerpt(location)))
    else:
        failure = e.failure.value if e.failure else "no response"
        facts.append((f"{key}.failure", excerpt(f"{failure}: {e.reason}" if e.reason else failure)))
    facts.append((f"{key}.ms", str(e.elapsed_ms)))
    return tuple(facts)


def result(
    area: Area,
    verdict: ProbeVerdict,
    message: str,
    facts: Facts = (),
    gravity: Gravity | None = None,
    gaps: tuple[Gap, ...] = (),
) -> AreaResult:
    """Build an ``AreaResult`` with sorted facts."""
    return AreaResult(
        area=area,
        verdict=verdict,
        message=message,
        facts=tuple(sorted(facts)),
        gravity=gravity,
        gaps=gaps,
    )


def baseline_problem(obs: Observations) -> str | None:
    """Why the valid request did not succeed (None when it did): content probes need it."""
    if obs.setup_error:
        return obs.setup_error
    if obs.tls is not None and obs.tls.failure is not None:
        return f"{obs.tls.failure.value}: {obs.tls.reason}"
    baseline = obs.first(RequestKind.BASELINE)
    if baseline is None:
        return "the valid request was not sent"
    if baseline.status is None:
        return f"endpoint unreachable: {baseline.describe()}"
    if 200 <= baseline.status < 300:
        return None
    if baseline.status in _AUTH_REJECTIONS:
        if obs.credential_declared and not obs.credential_present:
            return "the auth_env environment variable is not set, so the valid request was rejected"
        if not obs.credential_declared:
            return f"the valid request was rejected ({baseline.status}); declare auth_env"
        return f"the configured credential was rejected ({baseline.status})"
    if baseline.status == 429:
        return "the valid request was rate limited (429) before probing; retry later"
    return f"the valid request (request_template) got {baseline.status}, not 2xx"


def judge_authentication(obs: Observations) -> AreaResult:
    """M8.1.1: unauthenticated and wrongly authenticated requests get 401/403."""
    area = Area.AUTHENTICATION
    probes = [e for e in (obs.first(RequestKind.NO_AUTH), obs.first(RequestKind.WRONG_AUTH)) if e]
    facts = tuple(f for e in probes for f in exchange_facts(e))
    accepted = [e for e in probes if e.status is not None and 200 <= e.status < 300]
    if accepted:
        kinds = ", ".join(str(e.kind) for e in accepted)
        return result(
            area,
            ProbeVerdict.FAIL,
            f"request without a valid credential accepted ({kinds})",
            facts,
            Gravity.HIGH,
        )
    crashed = [e for e in probes if e.status is not None and e.status >= 500]
    if crashed:
        status = crashed[0].status
        return result(
            area,
            ProbeVerdict.FAIL,
            f"server error {status} instead of 401/403 for {crashed[0].kind}",
            facts,
            Gravity.MEDIUM,
        )
    if len(probes) < 2:
        missing = baseline_problem(obs) or "probes not sent"
        return result(area, ProbeVerdict.ERROR, f"could not verify: {missing}", facts)
    unclear = [e for e in probes if e.status not in _AUTH_REJECTIONS]
    if unclear:
        detail = f"{unclear[0].describe()} (expected 401/403)"
        return result(area, ProbeVerdict.ERROR, f"could not verify: {detail}", facts)
    problem = baseline_problem(obs)
    if problem is not None:
        # Rejecting everyone proves nothing: the valid credential must be accepted.
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", facts)
    statuses = "/".join(str(e.status) for e in probes)
    return result(
        area,
        ProbeVerdict.PASS,
        f"missing and wrong credentials rejected ({statuses}); the valid one accepted",
        facts,
    )


def judge_rate_limit(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.2.1: a bounded burst of valid requests meets a limit answered with 429."""
    area = Area.RATE_LIMIT
    burst = obs.burst
    if burst is None:
        return result(
            area,
            ProbeVerdict.ERROR,
            f"could not verify: {baseline_problem(obs) or 'burst not sent'}",
        )
    facts: list[tuple[str, str]] = [
        ("burst.planned", str(burst.planned)),
        ("burst.sent", str(burst.sent)),
        ("burst.ms", str(burst.elapsed_ms)),
        ("burst.statuses", ", ".join(f"{s}x{n}" for s, n in burst.statuses) or "none"),
    ]
    if burst.failures:
        facts.append(("burst.failures", ", ".join(f"{f}x{n}" for f, n in burst.failures)))
    if burst.first_limited is not None:
        facts.append(("burst.first_limited", str(burst.first_limited)))
        facts.append(("burst.retry_after", burst.retry_after or "absent"))
        note = (
            f" (Retry-After: {burst.retry_after})" if burst.retry_after else " without Retry-After"
        )
        return result(
            area,
            ProbeVerdict.PASS,
            f"limited after {burst.first_limited} of {burst.planned} requests "
            f"with {burst.limited_status}{note}",
            tuple(facts),
        )
    server_errors = sum(n for s, n in burst.statuses if s >= 500)
    if server_errors:
        return result(
            area,
            ProbeVerdict.FAIL,
            f"{server_errors} server errors under a burst of {burst.sent} and no 429",
            tuple(facts),
            Gravity.MEDIUM,
        )
    if burst.failures:
        return result(
            area,
            ProbeVerdict.ERROR,
            "could not verify: requests failed during the burst without a 429",
            tuple(facts),
        )
    if burst.sent < burst.planned:
        return result(
            area,
            ProbeVerdict.ERROR,
            f"could not verify: only {burst.sent} of {burst.planned} requests "
            f"fit in {burst.window_ms} ms",
            tuple(facts),
        )
    limited = "/".join(str(s) for s in settings.rate_limit_statuses)
    return result(
        area,
        ProbeVerdict.FAIL,
        f"{burst.sent} valid requests in {burst.elapsed_ms} ms all accepted: "
        f"no {limited} rate limit",
        tuple(facts),
        Gravity.HIGH,
    )


def _rejected(e: Exchange) -> bool:
    return e.status is not None and 400 <= e.status < 500 and e.status not in {401, 403, 429}


def judge_malformed(obs: Observations) -> AreaResult:
    """M8.3.1: bad JSON, wrong types, missing fields and out-of-range numbers get a 4xx."""
    area = Area.MALFORMED_INPUT
    if not obs.body_probes:
        return result(
            area,
            ProbeVerdict.NOT_APPLICABLE,
            "the endpoint takes no request body (GET/HEAD/DELETE)",
        )
    probes = [e for kind in MALFORMED_KINDS for e in obs.of(kind)]
    facts = tuple(f for e in probes for f in exchange_facts(e))
    bad = [e for e in probes if e.status is not None and (e.status < 400 or e.status >= 500)]
    if bad:
        shown = "; ".join(f"{e.kind} → {e.status}" for e in bad)
        return result(
            area,
            ProbeVerdict.FAIL,
            f"malformed input not rejected with 4xx: {shown}",
            facts,
            Gravity.MEDIUM,
        )
    problem = baseline_problem(obs)
    if problem is not None:
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", facts)
    unclear = [e for e in probes if not _rejected(e)]
    if unclear or len(probes) < len(MALFORMED_KINDS):
        detail = unclear[0].describe() if unclear else "probes not sent"
        return result(area, ProbeVerdict.ERROR, f"could not verify: {detail}", facts)
    statuses = ", ".join(f"{e.kind} {e.status}" for e in probes)
    return result(
        area, ProbeVerdict.PASS, f"all {len(probes)} malformed requests rejected: {statuses}", facts
    )


def _label(e: Exchange) -> str:
    return f"{e.kind}:{e.variant}" if e.variant else str(e.kind)


def _oversized_problem(e: Exchange, settings: ProbeSettings, quick_ms: int) -> tuple[str, bool]:
    """(problem, whether it is a failure rather than an uncertainty); ("", False) when fine."""
    size = f"{e.sent_bytes} bytes sent of a valid {e.variant or 'request'} body"
    limit = settings.max_body_bytes
    if e.status is not None and 200 <= e.status < 300:
        return f"a valid {e.variant} body over the {limit}-byte limit was accepted ({size})", True
    if e.status in {401, 403, 429}:
        return e.describe(), False
    if e.status is None:
        return e.describe(), False
    if not _rejected(e):
        return f"{_label(e)} → {e.status}", True
    if e.elapsed_ms > quick_ms:
        return f"{_label(e)} rejected only after {e.elapsed_ms} ms (limit {quick_ms} ms)", True
    return "", False


def judge_resources(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.3.2: valid bodies over the size limit, deeply nested and slow bodies are rejected
    quickly; the server survives."""
    area = Area.RESOURCE_LIMITS
    if not obs.body_probes:
        return result(
            area,
            ProbeVerdict.NOT_APPLICABLE,
            "the endpoint takes no request body (GET/HEAD/DELETE)",
        )
    probes = [e for kind in RESOURCE_KINDS for e in obs.of(kind)]
    liveness = obs.first(RequestKind.LIVENESS)
    facts: list[tuple[str, str]] = [
        f
        for e in (*probes, *([liveness] if liveness else []))
        for f in exchange_facts(e, _label(e))
    ]
    facts.append(("limit.max_body_bytes", str(settings.max_body_bytes)))
    facts += [(f"axis.{axis}", note) for axis, note in obs.axes]
    bad: list[str] = []
    unclear: list[str] = []
    quick_ms = round(settings.max_reject_s * 1000)
    for e in probes:
        if e.kind is RequestKind.OVERSIZED_VALID:
            issue, failure = _oversized_problem(e, settings, quick_ms)
            if issue:
                (bad if failure else unclear).append(issue)
        elif e.kind is RequestKind.SLOW_BODY:
            if e.failure is Failure.STILL_OPEN:
                bad.append(f"slow_body: still being read after {e.elapsed_ms} ms")
            elif e.failure is Failure.CLOSED or _rejected(e):
                continue
            elif e.status in {401, 403, 429}:
                unclear.append(e.describe())
            elif e.status is not None:
                bad.append(f"slow_body → {e.status}")
            else:
                unclear.append(e.describe())
        elif e.status in {401, 403, 429}:
            unclear.append(e.describe())
        elif e.status is not None and not _rejected(e):
            bad.append(f"{e.kind} → {e.status}")
        elif e.status is not None and e.elapsed_ms > quick_ms:
            bad.append(f"{e.kind} rejected only after {e.elapsed_ms} ms (limit {quick_ms} ms)")
        elif e.status is None:
            unclear.append(e.describe())
    if liveness is not None and (liveness.status is None or liveness.status >= 500):
        bad.append(f"server stopped answering valid requests afterwards ({liveness.describe()})")
    if bad:
        gravity = (
            Gravity.HIGH
            if any("stopped answering" in b or "was accepted" in b for b in bad)
            else Gravity.MEDIUM
        )
        return result(area, ProbeVerdict.FAIL, "; ".join(bad), tuple(facts), gravity)
    problem = baseline_problem(obs)
    if problem is not None:
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", tuple(facts))
    kinds = {e.kind for e in probes}
    if unclear or len(kinds) < len(RESOURCE_KINDS):
        return result(
            area,
            ProbeVerdict.ERROR,
            f"could not verify: {unclear[0] if unclear else 'probes not sent'}",
            tuple(facts),
        )
    return result(
        area,
        ProbeVerdict.PASS,
        f"valid bodies over {settings.max_body_bytes} bytes, deeply nested and slow bodies "
        "were cut off quickly",
        tuple(facts),
    )
