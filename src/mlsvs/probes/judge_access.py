"""Pure judgements of the tester-style probes: authentication on every route and with every
credential spelling, forged client addresses against the rate limit, CORS, and the cost curve."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.model.coverage import Gap, GapReason
from mlsvs.probes.cors import cors_grant
from mlsvs.probes.cost import fit_cost
from mlsvs.probes.credentials import SPOOF_HEADERS
from mlsvs.probes.judge import (
    baseline_problem,
    exchange_facts,
    judge_authentication,
    judge_rate_limit,
    result,
    shown_path,
)
from mlsvs.probes.spoofing import (
    MAX_ROUNDS,
    RoundExchanges,
    RoundOutcome,
    header_outcome,
    judge_rounds,
    rounds_of,
)
from mlsvs.probes.types import Area, AreaResult, Failure, Gravity, ProbeVerdict, RequestKind

if TYPE_CHECKING:
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.types import Exchange, Observations

_RANK = {Gravity.LOW: 0, Gravity.MEDIUM: 1, Gravity.HIGH: 2}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UNSUPPORTED = frozenset({501, 505})
"""Not implemented / version not supported: the method or protocol is refused, not crashed."""


def _ok(e: Exchange) -> bool:
    return e.status is not None and 200 <= e.status < 300


def _refused(e: Exchange) -> bool:
    return e.status is not None and 400 <= e.status < 500 and e.status != 429


def _shape(body: str) -> object:
    """The JSON type and top-level keys of a body (to recognise a prediction)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict):
        return ("object", frozenset(value))
    if isinstance(value, list):
        return ("list", len(value) > 0)
    return None


def _catch_all(e: Exchange, control: Exchange | None) -> bool:
    return control is not None and _ok(control) and e.body == control.body


def _worst(gravities: list[Gravity]) -> Gravity:
    return max(gravities, key=_RANK.__getitem__)


def judge_access(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.1.1: no credential, a wrong one, every odd spelling and every route are refused; the
    credential is not accepted in the query string."""
    basic = judge_authentication(obs)
    baseline = obs.first(RequestKind.BASELINE)
    control = obs.first(RequestKind.CONTROL)
    prediction = _shape(baseline.body) if baseline is not None and _ok(baseline) else None
    findings: list[tuple[Gravity, str]] = []
    unclear: list[str] = []
    silent: list[Gap] = []
    facts: list[tuple[str, str]] = list(basic.facts)
    for e in obs.of(RequestKind.AUTH_VARIANT):
        label = f"variant:{e.variant}"
        if _ok(e):
            findings.append((Gravity.HIGH, f"invalid credential accepted ({e.variant})"))
            facts += exchange_facts(e, label)
        elif e.status is not None and e.status >= 500:
            findings.append((Gravity.MEDIUM, f"server error {e.status} for {e.variant}"))
            facts += exchange_facts(e, label)
        elif not _refused(e):
            unclear.append(f"{e.variant}: {e.describe()}")
            facts += exchange_facts(e, label)
    for e in obs.of(RequestKind.QUERY_CREDENTIAL):
        if _ok(e):
            findings.append(
                (
                    Gravity.MEDIUM,
                    f"the credential is accepted in the query string ({e.variant}): URLs end up "
                    "in logs, proxies and browser history (CWE-598)",
                )
            )
            facts += exchange_facts(e, f"query:{e.variant}")
    for e in obs.of(RequestKind.ROUTE_NO_AUTH):
        label = f"route:{e.method} {shown_path(e.path)}"
        if _ok(e) and not _catch_all(e, control):
            model_like = prediction is not None and _shape(e.body) == prediction
            if model_like or e.body_format:
                gravity, what = Gravity.HIGH, "answers like the model"
            elif e.method in _BODY_METHODS:
                gravity, what = Gravity.MEDIUM, "accepts the request"
            else:
                gravity, what = Gravity.LOW, "answers"
            findings.append(
                (
                    gravity,
                    f"{e.method} {shown_path(e.path)} ({e.variant}) {what} without a credential",
                )
            )
            facts += exchange_facts(e, label)
        elif e.status is not None and e.status >= 500 and e.status not in _UNSUPPORTED:
            findings.append(
                (
                    Gravity.MEDIUM,
                    f"{e.method} {shown_path(e.path)}: server error {e.status} "
                    "without a credential",
                )
            )
            facts += exchange_facts(e, label)
        elif e.status is None:
            silent.append(
                Gap(
                    item=f"{e.method} {shown_path(e.path)}",
                    reason=GapReason.UNREADABLE,
                    detail=f"no response: {e.describe()}",
                )
            )
            facts += exchange_facts(e, label)
    facts.append(("routes.tested", str(len(obs.routes))))
    if obs.routes:
        facts.append(("routes.list", ", ".join(obs.routes)[:200]))
    gaps = tuple(
        [
            Gap(
                item=route,
                reason=GapReason.LIMIT if "max_routes" in why else GapReason.UNSUPPORTED,
                detail=why,
            )
            for route, why in obs.uncovered
        ]
        + silent
    )
    if gaps:
        facts.append(("routes.not_covered", "; ".join(g.describe() for g in gaps)[:200]))
    variants = len(obs.of(RequestKind.AUTH_VARIANT))
    facts.append(("credentials.variants_sent", str(variants)))
    no_auth = obs.first(RequestKind.NO_AUTH)
    if no_auth is not None and _ok(no_auth) and basic.gravity is not None:
        # No credential needed at all: every variant and alias "passing" says nothing more.
        return result(
            Area.AUTHENTICATION, ProbeVerdict.FAIL, basic.message, tuple(facts), basic.gravity
        )
    if basic.verdict is ProbeVerdict.FAIL and basic.gravity is not None:
        findings.insert(0, (basic.gravity, basic.message))
    if findings:
        gravity = _worst([g for g, _ in findings])
        shown = "; ".join(m for _, m in findings[:4])
        more = f" (+{len(findings) - 4} more)" if len(findings) > 4 else ""
        return result(
            Area.AUTHENTICATION, ProbeVerdict.FAIL, shown + more, tuple(facts), gravity, gaps
        )
    if basic.verdict is not ProbeVerdict.PASS:
        return result(
            Area.AUTHENTICATION, basic.verdict, basic.message, tuple(facts), basic.gravity
        )
    if unclear:
        return result(
            Area.AUTHENTICATION, ProbeVerdict.ERROR, f"could not verify: {unclear[0]}", tuple(facts)
        )
    queries = len(obs.of(RequestKind.QUERY_CREDENTIAL))
    return result(
        Area.AUTHENTICATION,
        ProbeVerdict.PASS,
        f"{basic.message}; {variants} invalid credential spellings, {queries} query-string "
        f"credentials and {len(obs.routes)} other routes refused"
        + (f"; {len(gaps)} routes not covered" if gaps else ""),
        tuple(facts),
        gaps=gaps,
    )


def _describe(r: RoundExchanges, outcome: RoundOutcome) -> str:
    served = sum(1 for e in r.tries if e.status is not None and 200 <= e.status < 300)
    control = (
        "" if r.control is None else f", then without it {r.control.status or r.control.failure}"
    )
    primes = f"{len(r.primes)} to the limit"
    return f"{outcome.value} ({primes}, {served}/{len(r.tries)} forged served{control})"


def judge_quota(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.2.1: the burst meets a 429, and forged client-IP headers do not lift it."""
    basic = judge_rate_limit(obs, settings)
    if basic.verdict is not ProbeVerdict.PASS:
        return basic
    facts = list(basic.facts)
    sent = [
        e
        for e in obs.exchanges
        if e.kind in {RequestKind.SPOOF_PRIME, RequestKind.SPOOF, RequestKind.SPOOF_CONTROL}
    ]
    if not any(e.kind is RequestKind.SPOOF for e in sent):
        problem = "forged client-IP requests were not sent"
        return result(
            Area.RATE_LIMIT, ProbeVerdict.ERROR, f"could not verify: {problem}", tuple(facts)
        )
    bypassed: list[str] = []
    unclear: list[str] = []
    statuses = settings.rate_limit_statuses
    for header in SPOOF_HEADERS:
        rounds = rounds_of(sent, header)
        outcomes = judge_rounds(rounds, statuses)
        facts.append(
            (
                f"spoof.{header}",
                "; ".join(_describe(r, o) for r, o in zip(rounds, outcomes, strict=True))
                or "not sent",
            )
        )
        outcome = header_outcome(outcomes) or RoundOutcome.LIFTED
        if outcome is RoundOutcome.BYPASSED:
            bypassed.append(header)
        elif outcome is not RoundOutcome.HELD:
            unclear.append(header)
    if bypassed:
        return result(
            Area.RATE_LIMIT,
            ProbeVerdict.FAIL,
            f"the limit is keyed on a client-supplied header: requests with a forged "
            f"{', '.join(bypassed)} were served while the real client stayed limited",
            tuple(facts),
            Gravity.HIGH,
        )
    if unclear:
        return result(
            Area.RATE_LIMIT,
            ProbeVerdict.ERROR,
            f"could not verify: in {MAX_ROUNDS} rounds, every request with a forged "
            f"{', '.join(unclear)} was served but the limit had also lifted for the real client "
            "(or it could not be brought back to its limit)",
            tuple(facts),
        )
    return result(
        Area.RATE_LIMIT,
        ProbeVerdict.PASS,
        f"{basic.message}; forged client-IP headers ({len(SPOOF_HEADERS)}) did not lift it",
        tuple(facts),
    )


def judge_cors(obs: Observations) -> AreaResult:
    """M8.1.1: no hostile origin may read authenticated responses (CORS)."""
    area = Area.CORS
    probes = obs.of(RequestKind.CORS)
    facts: list[tuple[str, str]] = []
    grants = []
    for e in probes:
        phase, _, rest = e.variant.partition("|")
        label, _, origin = rest.partition("|")
        grant = cors_grant(f"{label} ({phase})", origin, e)
        allow = e.header("access-control-allow-origin")
        facts.append(
            (f"cors.{phase}.{label}", f"{e.status or e.failure}; allow-origin: {allow or 'none'}")
        )
        if grant is not None:
            grants.append(grant)
    if grants:
        worst = _worst([g.gravity for g in grants])
        shown = "; ".join(g.describe() for g in grants if g.gravity is worst)
        return result(
            area,
            ProbeVerdict.FAIL,
            f"CORS lets other sites read responses: {shown}",
            tuple(facts),
            worst,
        )
    problem = baseline_problem(obs)
    if problem is not None:
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", tuple(facts))
    if not probes or any(e.status is None for e in probes):
        missing = next((e.describe() for e in probes if e.status is None), "CORS probes not sent")
        return result(area, ProbeVerdict.ERROR, f"could not verify: {missing}", tuple(facts))
    return result(
        area,
        ProbeVerdict.PASS,
        f"{len(probes)} requests from hostile origins (unrelated, null, prefix and suffix "
        "matches) got no Access-Control-Allow-Origin for them",
        tuple(facts),
    )


def _point(e: Exchange) -> tuple[str, int, str]:
    axis, _, rest = e.variant.partition("|")
    factor, _, repeat = rest.partition("|")
    return axis, int(factor) if factor.isdigit() else 0, repeat


def judge_cost(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.3.2: latency grows at most linearly with batch size / input length, and no valid
    request up to ``cost_max_bytes`` takes longer than ``max_request_s``."""
    area = Area.COST
    if not obs.body_probes:
        return result(area, ProbeVerdict.NOT_APPLICABLE, "the endpoint takes no request body")
    problem = baseline_problem(obs)
    if problem is not None:
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}")
    facts: list[tuple[str, str]] = [(f"axis.{a}", n) for a, n in obs.axes]
    facts += [
        ("limit.max_request_s", f"{settings.max_request_s:g}"),
        ("limit.max_cost_exponent", f"{settings.max_cost_exponent:g}"),
    ]
    if not obs.axes:
        return result(
            area,
            ProbeVerdict.NOT_APPLICABLE,
            "the example request has no batch (list of rows) or text field to grow; "
            "body size is judged by MLC504",
            tuple(facts),
        )
    points = obs.of(RequestKind.COST_POINT)
    curve = [e for e in points if _point(e)[2] != "control"]
    if not curve:
        unclear = [e for e in points if e.status is None or e.status in {401, 403, 429}]
        if unclear:
            return result(
                area, ProbeVerdict.ERROR, f"could not verify: {unclear[0].describe()}", tuple(facts)
            )
        return result(
            area,
            ProbeVerdict.PASS,
            "the server refuses inputs twice the example's size: the cost per request is bounded",
            tuple(facts),
        )
    axis = _point(curve[0])[0]
    limit_ms = settings.max_request_s * 1000
    by_size: dict[int, list[float]] = {}
    answered_sizes: list[int] = []
    for e in curve:
        facts.append(
            (
                f"cost.{axis}.x{_point(e)[1]}.{_point(e)[2]}",
                f"{e.sent_bytes} B: {e.status or e.failure} in {e.elapsed_ms} ms",
            )
        )
        if _ok(e):
            by_size.setdefault(e.sent_bytes, []).append(float(e.elapsed_ms))
            answered_sizes.append(e.sent_bytes)
    slow = [e for e in curve if _ok(e) and e.elapsed_ms > limit_ms]
    if slow:
        e = slow[0]
        return result(
            area,
            ProbeVerdict.FAIL,
            f"a valid {axis} request of {e.sent_bytes} bytes took {e.elapsed_ms / 1000:.1f} s "
            f"(limit {settings.max_request_s:g} s)",
            tuple(facts),
            Gravity.HIGH,
        )
    lost = [e for e in curve if e.status is None]
    if lost and answered_sizes:
        e = lost[0]
        gravity = Gravity.HIGH if e.failure is Failure.TIMEOUT else Gravity.MEDIUM
        return result(
            area,
            ProbeVerdict.FAIL,
            f"a valid {axis} request of {e.sent_bytes} bytes got no answer ({e.describe()}) "
            f"where {max(answered_sizes)} bytes were answered",
            tuple(facts),
            gravity,
        )
    crashed = [e for e in curve if e.status is not None and e.status >= 500]
    if crashed:
        e = crashed[0]
        return result(
            area,
            ProbeVerdict.FAIL,
            f"a valid {axis} request of {e.sent_bytes} bytes got {e.status}",
            tuple(facts),
            Gravity.MEDIUM,
        )
    unclear = [e for e in curve if e.status is None or e.status in {401, 403, 429}]
    if unclear:
        return result(
            area, ProbeVerdict.ERROR, f"could not verify: {unclear[0].describe()}", tuple(facts)
        )
    fit = fit_cost(sorted(by_size.items()))
    if fit is None:
        refused = next((e for e in curve if not _ok(e)), None)
        if refused is not None:
            return result(
                area,
                ProbeVerdict.PASS,
                f"growth along {axis} is refused from {refused.sent_bytes} bytes "
                f"({refused.status})",
                tuple(facts),
            )
        return result(
            area, ProbeVerdict.ERROR, "could not verify: too few sizes measured", tuple(facts)
        )
    facts += [
        ("fit.exponent", f"{fit.exponent:g}"),
        ("fit.linear_error_ratio", f"{fit.linear_error_ratio:g}"),
        ("fit.rise_ms", f"{fit.rise_ms:g}"),
        ("fit.noise_ms", f"{fit.noise_ms:g}"),
    ]
    top = max(by_size)
    if fit.super_linear(settings.max_cost_exponent):
        return result(
            area,
            ProbeVerdict.FAIL,
            f"latency grows super-linearly with {axis} size (about size^{fit.exponent:g}, "
            f"+{fit.rise_ms:g} ms up to {top} bytes): a larger request costs disproportionately",
            tuple(facts),
            Gravity.MEDIUM,
        )
    shape = f"about size^{fit.exponent:g}" if fit.measurable else "flat within the noise"
    return result(
        area,
        ProbeVerdict.PASS,
        f"latency against {axis} size is {shape} up to {top} bytes (max "
        f"{max(max(v) for v in by_size.values()):g} ms)",
        tuple(facts),
    )
