"""Pure judgements of what responses reveal: errors, internals, scores, management surface."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

from mlsvs.probes.detect import Leak, LeakKind, error_leaks, internals_leaks, score_leaks
from mlsvs.probes.judge import (
    baseline_problem,
    exchange_facts,
    judge_malformed,
    judge_resources,
    result,
    shown_path,
)
from mlsvs.probes.judge_access import judge_access, judge_cors, judge_cost, judge_quota
from mlsvs.probes.judge_transport import judge_transport
from mlsvs.probes.redact import REDACTED, excerpt_around
from mlsvs.probes.surface import ADMIN_ROUTE, lookup
from mlsvs.probes.types import (
    MALFORMED_KINDS,
    RESOURCE_KINDS,
    Area,
    AreaResult,
    Gravity,
    ProbeVerdict,
    RequestKind,
)

if TYPE_CHECKING:
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.types import Exchange, Observations

_SERIOUS = frozenset(
    {LeakKind.TRACEBACK, LeakKind.EXCEPTION, LeakKind.FILE_PATH, LeakKind.CREDENTIAL_ECHO}
)


def reflections(obs: Observations, *, errors: bool) -> list[tuple[Exchange, Leak]]:
    """Responses that echoed a credential the probe sent (already redacted in the record):
    error responses when ``errors``, otherwise successful ones."""
    found: list[tuple[Exchange, Leak]] = []
    echoed = [e for e in obs.exchanges if e.reflected and e.status is not None]
    echoed.sort(key=lambda e: "credential" not in e.reflected)  # the real one first
    for e in echoed:
        if e.status is None or (e.status >= 400) is not errors:
            continue
        where = "body" if REDACTED in e.body else "headers"
        found.append(
            (
                e,
                Leak(
                    kind=LeakKind.CREDENTIAL_ECHO,
                    detail=f"{' and '.join(e.reflected)} echoed in the {where} of "
                    f"{e.kind} {e.method} {shown_path(e.path)} (redacted here)",
                    excerpt=excerpt_around(e.body, e.body.find(REDACTED))
                    if REDACTED in e.body
                    else "",
                ),
            )
        )
    return found


def _leak_facts(found: list[tuple[Exchange, Leak]]) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    for index, (e, leak) in enumerate(found[:12], start=1):
        key = f"leak{index:02d}"
        facts.append((f"{key}.kind", str(leak.kind)))
        facts.append((f"{key}.request", f"{e.kind} {e.method} {shown_path(e.path)} → {e.status}"))
        facts.append((f"{key}.detail", leak.detail))
        if leak.excerpt:
            facts.append((f"{key}.excerpt", leak.excerpt))
    return tuple(facts)


def judge_error_leakage(obs: Observations) -> AreaResult:
    """M8.3.3: error responses carry no traceback, exception name, path or version banner."""
    area = Area.ERROR_LEAKAGE
    found: list[tuple[Exchange, Leak]] = reflections(obs, errors=True)
    for e in obs.exchanges:
        if e.status is None:
            continue
        for leak in error_leaks(e):
            if e.status < 400 and not leak.in_header:
                continue  # success bodies are judged by the response-internals check
            found.append((e, leak))
    found.sort(key=lambda item: item[1].kind not in _SERIOUS)  # stable: serious leaks first
    facts = _leak_facts(found)
    if found:
        kinds = sorted({str(leak.kind) for _, leak in found})
        serious = any(leak.kind in _SERIOUS for _, leak in found)
        first = found[0]
        message = (
            f"responses reveal {', '.join(kinds)} (first: {first[0].kind} → {first[1].detail})"
        )
        return result(
            area, ProbeVerdict.FAIL, message, facts, Gravity.HIGH if serious else Gravity.LOW
        )
    provoking = (
        (*MALFORMED_KINDS, *RESOURCE_KINDS)
        if obs.body_probes
        else (RequestKind.NO_AUTH, RequestKind.CONTROL)
    )
    errors = [
        e for kind in provoking for e in obs.of(kind) if e.status is not None and e.status >= 400
    ]
    if not errors:
        problem = baseline_problem(obs) or "no request provoked an error response"
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", facts)
    return result(
        area,
        ProbeVerdict.PASS,
        f"{len(errors)} error responses show no traceback, exception, path or banner",
        (("errors.inspected", str(len(errors))),),
    )


def _baseline_body(obs: Observations, area: Area) -> Exchange | AreaResult:
    problem = baseline_problem(obs)
    baseline = obs.first(RequestKind.BASELINE)
    if problem is not None or baseline is None:
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}")
    return baseline


def judge_internals(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M8.4.1: a successful response has no debug fields, model internals or file paths."""
    area = Area.RESPONSE_INTERNALS
    baseline = _baseline_body(obs, area)
    if isinstance(baseline, AreaResult):
        return baseline
    leaks = list(internals_leaks(baseline.body, settings.expected_fields))
    leaks += [leak for _, leak in reflections(obs, errors=False)]
    facts = list(exchange_facts(baseline))
    facts += [
        (f"exposed{i:02d}", f"{leak.kind}: {leak.detail}") for i, leak in enumerate(leaks[:12], 1)
    ]
    if leaks:
        kinds = sorted({str(leak.kind) for leak in leaks})
        gravity = Gravity.LOW if kinds == [str(LeakKind.UNEXPECTED_FIELD)] else Gravity.MEDIUM
        if str(LeakKind.CREDENTIAL_ECHO) in kinds:
            gravity = Gravity.HIGH
        return result(
            area,
            ProbeVerdict.FAIL,
            f"response exposes {', '.join(kinds)}: {leaks[0].detail}",
            tuple(facts),
            gravity,
        )
    return result(
        area,
        ProbeVerdict.PASS,
        "the response has no debug fields, model internals or paths",
        tuple(facts),
    )


def judge_scores(obs: Observations, settings: ProbeSettings) -> AreaResult:
    """M7.1.1: only a label / top-k with coarse scores; no full score vector unless justified."""
    area = Area.SCORE_EXPOSURE
    baseline = _baseline_body(obs, area)
    if isinstance(baseline, AreaResult):
        return baseline
    leaks = score_leaks(
        baseline.body,
        max_decimals=settings.max_score_decimals,
        allow_vector=settings.allow_score_vector,
    )
    facts = list(exchange_facts(baseline))
    facts.append(("scores.max_decimals", str(settings.max_score_decimals)))
    facts += [
        (f"exposed{i:02d}", f"{leak.kind}: {leak.detail}") for i, leak in enumerate(leaks[:12], 1)
    ]
    if leaks:
        kinds = sorted({str(leak.kind) for leak in leaks})
        return result(
            area,
            ProbeVerdict.FAIL,
            f"response exposes {', '.join(kinds)}: {leaks[0].detail}",
            tuple(facts),
            Gravity.MEDIUM,
        )
    return result(
        area, ProbeVerdict.PASS, "the response gives a label and coarse scores only", tuple(facts)
    )


def _openapi_routes(e: Exchange) -> tuple[str, ...]:
    try:
        document = json.loads(e.body)
    except ValueError:
        return ()
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        return ()
    return tuple(sorted(p for p in paths if isinstance(p, str) and ADMIN_ROUTE.search(p)))[:10]


def judge_management(obs: Observations) -> AreaResult:
    """M8.5.1: management/admin APIs answer no unauthenticated request with 2xx."""
    area = Area.MANAGEMENT_SURFACE
    probes = obs.of(RequestKind.MANAGEMENT)
    control = obs.first(RequestKind.CONTROL)
    catch_all = control is not None and control.status is not None and 200 <= control.status < 300
    exposed: list[Exchange] = []
    facts: list[tuple[str, str]] = []
    for e in probes:
        if (
            e.status is not None
            and 200 <= e.status < 300
            and not (catch_all and control and e.body == control.body)
        ):
            exposed.append(e)
        elif e.status is not None and 300 <= e.status < 400:
            facts += exchange_facts(e, f"redirect:{e.port}{e.path}")
    for e in exposed:
        facts += exchange_facts(e, f"exposed:{e.port}{e.path}")
        if e.path == "/openapi.json" or e.path == "/docs.json":
            routes = _openapi_routes(e)
            if routes:
                facts.append((f"exposed:{e.port}{e.path}.admin_routes", ", ".join(routes)))
    facts.append(("management.probed", str(len(probes))))
    if control is not None:
        facts += exchange_facts(control, "control")
    if exposed:
        entries = [
            (
                dataclasses.replace(lookup(e.path), gravity=Gravity.HIGH, platform=e.body_format)
                if e.body_format
                else lookup(e.path)
            )
            for e in exposed
        ]
        rank = {Gravity.LOW: 0, Gravity.MEDIUM: 1, Gravity.HIGH: 2}
        gravity = max((m.gravity for m in entries), key=rank.__getitem__)
        shown = ", ".join(f"{e.path} ({m.platform})" for e, m in zip(exposed, entries, strict=True))
        return result(
            area,
            ProbeVerdict.FAIL,
            f"reachable without credentials: {shown}",
            tuple(facts),
            gravity,
        )
    main_port = [e for e in probes if e.port == obs.port]
    answered = [e for e in main_port if e.status is not None]
    if not probes or not answered:
        first = main_port[0].describe() if main_port else "no management probe was sent"
        problem = baseline_problem(obs) or first
        return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", tuple(facts))
    unanswered = [e for e in main_port if e.status is None]
    if unanswered:
        return result(
            area, ProbeVerdict.ERROR, f"could not verify: {unanswered[0].describe()}", tuple(facts)
        )
    statuses = sorted({str(e.status) for e in answered})
    return result(
        area,
        ProbeVerdict.PASS,
        f"{len(probes)} management paths refused ({'/'.join(statuses)})",
        tuple(facts),
    )


def judge_all(obs: Observations, settings: ProbeSettings) -> tuple[AreaResult, ...]:
    """Every area, in ``Area`` order."""
    return (
        judge_access(obs, settings),
        judge_quota(obs, settings),
        judge_malformed(obs),
        judge_resources(obs, settings),
        judge_error_leakage(obs),
        judge_internals(obs, settings),
        judge_management(obs),
        judge_transport(obs),
        judge_scores(obs, settings),
        judge_cors(obs),
        judge_cost(obs, settings),
    )
