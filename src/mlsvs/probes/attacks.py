"""The probes a tester adds to the basic ones: route discovery, credential variants, query-string
credentials, CORS, valid-shaped growth (cost curve and body limit) and forged client IPs.

Each phase sends through the runner's ``send`` (time budget, Retry-After politeness) or, where a
429 is the point, ``send_raw``; every loop is bounded by a constant or a setting.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from mlsvs.probes.client import MAX_RESPONSE_BYTES, Request
from mlsvs.probes.cors import hostile_origins
from mlsvs.probes.credentials import QUERY_NAMES, SPOOF_HEADERS, AuthVariant, forged
from mlsvs.probes.growth import Axis, Grower, growers, padded
from mlsvs.probes.routes import (
    DISCOVERY_PATHS,
    DOCS_PAGES,
    ApiDocument,
    Route,
    alias_routes,
    parse_document,
    public_by_convention,
    spec_urls,
)
from mlsvs.probes.spoofing import probe_header
from mlsvs.probes.types import Exchange, RequestKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.probes.bodies import JsonValue
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.types import Burst

    Send = Callable[[Request], Exchange]

_JSON = (("Content-Type", "application/json"),)
TRUNCATED_AT = MAX_RESPONSE_BYTES - 1024
"""A 2xx document this long that does not parse was probably cut off by the read limit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeTarget:
    """The endpoint as the phases need it."""

    method: str
    path: str
    valid_body: bytes | None
    auth_header: str
    auth_scheme: str
    credential: str | None

    def auth(self, credential: str | None = None) -> tuple[tuple[str, str], ...]:
        """The configured credential header (or ``credential`` in its place)."""
        token = self.credential if credential is None else credential
        if token is None:
            return ()
        scheme = self.auth_scheme.strip()
        return ((self.auth_header, f"{scheme} {token}" if scheme else token),)

    def request(
        self,
        kind: RequestKind,
        *,
        body: bytes | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        path: str | None = None,
        method: str | None = None,
        variant: str = "",
    ) -> Request:
        """A request to the endpoint (JSON content type when there is a body)."""
        return Request(
            kind=kind,
            method=method or self.method,
            path=path or self.path,
            headers=(_JSON if body is not None else ()) + headers,
            body=body,
            variant=variant,
        )


def _ok(e: Exchange) -> bool:
    return e.status is not None and 200 <= e.status < 300


# --- routes -------------------------------------------------------------------------------


def discover(send: Send, target: ProbeTarget) -> tuple[ApiDocument | None, str]:
    """The server's API document, fetched like a client would (without, then with the
    credential); returns it and where it was found ("" when none)."""
    candidates = list(DISCOVERY_PATHS)
    for path in candidates:
        exchange = send(Request(kind=RequestKind.DISCOVERY, method="GET", path=path))
        if exchange.status in {401, 403} and target.credential:
            exchange = send(
                Request(
                    kind=RequestKind.DISCOVERY,
                    method="GET",
                    path=path,
                    headers=target.auth(),
                    variant="with credential",
                )
            )
        if _ok(exchange):
            document = parse_document(exchange.body, target.path)
            if document is not None:
                return document, path
            if len(exchange.body) >= TRUNCATED_AT:
                truncated = ApiDocument(
                    routes=(),
                    skipped=((f"GET {path}", "API document larger than the probe reads"),),
                )
                return truncated, path
    for page in DOCS_PAGES:
        exchange = send(Request(kind=RequestKind.DISCOVERY, method="GET", path=page))
        if not _ok(exchange):
            continue
        for url in spec_urls(exchange.body):
            if url in candidates:
                continue
            spec = send(Request(kind=RequestKind.DISCOVERY, method="GET", path=url))
            if _ok(spec):
                document = parse_document(spec.body, target.path)
                if document is not None:
                    return document, url
    return None, ""


def plan_routes(
    target: ProbeTarget,
    document: ApiDocument | None,
    settings: ProbeSettings,
    skip: set[str],
) -> tuple[tuple[Route, ...], tuple[tuple[str, str], ...]]:
    """Routes to test (aliases first, then the document's), and (route, why) for those left
    out."""
    bare = target.path.split("?", 1)[0]
    found = list(alias_routes(target.path, target.method))
    left_out: list[tuple[str, str]] = []
    if document is not None:
        found += document.routes
        left_out += document.skipped
    routes: list[Route] = []
    seen = {f"{target.method} {bare}"}
    for route in found:
        if route.label in seen or route.path in skip:
            continue
        seen.add(route.label)
        if public_by_convention(route, settings.public_paths):
            continue
        if len(routes) >= settings.max_routes:
            left_out.append((route.label, f"over max_routes={settings.max_routes}"))
            continue
        routes.append(route)
    return tuple(routes), tuple(left_out)


def probe_routes(send: Send, target: ProbeTarget, routes: tuple[Route, ...]) -> None:
    """Every route without a credential (the valid body where the method takes one)."""
    for route in routes:
        send(
            target.request(
                RequestKind.ROUTE_NO_AUTH,
                body=target.valid_body if route.has_body else None,
                path=route.path,
                method=route.method,
                variant=route.source,
            )
        )


# --- credentials --------------------------------------------------------------------------


def probe_credentials(send: Send, target: ProbeTarget, variants: tuple[AuthVariant, ...]) -> None:
    """Each invalid credential in the header; then the real one in the query string only."""
    for variant in variants:
        headers = ((target.auth_header, variant.value or ""),)
        send(
            target.request(
                RequestKind.AUTH_VARIANT,
                body=target.valid_body,
                headers=headers,
                variant=variant.name,
            )
        )
    if not target.credential:
        return
    bare, _, query = target.path.partition("?")
    joined = f"{query}&" if query else ""
    for name in QUERY_NAMES:
        send(
            target.request(
                RequestKind.QUERY_CREDENTIAL,
                body=target.valid_body,
                path=f"{bare}?{joined}{name}={_quote(target.credential)}",
                variant=f"?{name}=",
            )
        )
    # An error with the credential in the URL: does the error page echo the URL?
    send(
        target.request(
            RequestKind.QUERY_CREDENTIAL,
            body=b"{}" if target.valid_body is not None else None,
            path=f"{bare}?{joined}{QUERY_NAMES[0]}={_quote(target.credential)}&mlsvs=%00",
            variant=f"?{QUERY_NAMES[0]}= with an invalid request",
        )
    )


def _quote(value: str) -> str:
    return quote(value, safe="")


# --- CORS ---------------------------------------------------------------------------------


def probe_cors(send: Send, target: ProbeTarget, scheme: str, host: str) -> None:
    """A preflight and a real (authenticated) request from each hostile origin."""
    origins = hostile_origins(scheme, host)
    label, origin = origins[0]
    requested = ", ".join(
        h for h in (target.auth_header.lower(), "content-type" if target.valid_body else "") if h
    )
    send(
        Request(
            kind=RequestKind.CORS,
            method="OPTIONS",
            path=target.path,
            headers=(
                ("Origin", origin),
                ("Access-Control-Request-Method", target.method),
                ("Access-Control-Request-Headers", requested),
            ),
            variant=f"preflight|{label}|{origin}",
        )
    )
    for label, origin in origins:
        send(
            target.request(
                RequestKind.CORS,
                body=target.valid_body,
                headers=(("Origin", origin), *target.auth()),
                variant=f"request|{label}|{origin}",
            )
        )


# --- growth: cost curve and body limit ----------------------------------------------------


def cost_factors(max_factor: int, points: int) -> tuple[int, ...]:
    """About ``points`` factors from 1 to ``max_factor``, geometrically spaced, distinct."""
    if max_factor <= 1:
        return (1,)
    ratio = max_factor ** (1 / max(1, points - 1))
    factors = sorted({max(1, min(max_factor, round(ratio**i))) for i in range(points)})
    return tuple(factors)


def probe_growth(
    send: Send,
    target: ProbeTarget,
    template: JsonValue,
    settings: ProbeSettings,
    *,
    send_timed: Send | None = None,
) -> tuple[tuple[str, str], ...]:
    """Grow the valid request: is growth accepted, how does latency scale, is a body over the
    limit refused? ``send_timed`` (default ``send``) sends the cost curve with a timeout above
    ``max_request_s``. Returns (axis, outcome) notes."""
    notes: list[tuple[str, str]] = []
    viable = []
    for grower in growers(template):
        control = send(
            target.request(
                RequestKind.COST_POINT,
                body=grower.body(2),
                headers=target.auth(),
                variant=f"{grower.axis}|2|control",
            )
        )
        if _ok(control):
            viable.append(grower)
            notes.append((str(grower.axis), "accepted at twice the example's size"))
        else:
            notes.append(
                (str(grower.axis), f"refused at twice the example's size ({control.describe()})")
            )
    if viable:
        _cost_curve(send_timed or send, target, viable[0], settings)
    over = over_limit_size(settings)
    bodies = [(str(g.axis), g.body(g.factor_for(over))) for g in viable]
    bodies.append((str(Axis.PADDING), padded(template, over)))
    for axis, body in bodies:
        exchange = send(
            target.request(
                RequestKind.OVERSIZED_VALID, body=body, headers=target.auth(), variant=axis
            )
        )
        if _ok(exchange):
            break  # accepted over the limit: that is the evidence, stop uploading
    return tuple(notes)


def _cost_curve(send: Send, target: ProbeTarget, grower: Grower, settings: ProbeSettings) -> None:
    max_factor = grower.factor_for(settings.cost_max_bytes)
    slow_ms = settings.max_request_s * 1000
    for factor in cost_factors(max_factor, settings.cost_points):
        body = grower.body(factor)
        for repeat in range(settings.cost_repeats):
            exchange = send(
                target.request(
                    RequestKind.COST_POINT,
                    body=body,
                    headers=target.auth(),
                    variant=f"{grower.axis}|{factor}|{repeat}",
                )
            )
            if not _ok(exchange) or exchange.elapsed_ms > slow_ms:
                return  # a limit, a failure or a request already too slow: stop growing


# --- forged client addresses --------------------------------------------------------------


def probe_spoofing(
    send_raw: Send, target: ProbeTarget, burst: Burst, statuses: tuple[int, ...]
) -> None:
    """After the limit answered: for each client-IP header, rounds of requests with forged
    addresses between requests of the real client (``spoofing.probe_header``)."""
    if burst.first_limited is None:
        return
    numbers = itertools.count(1)

    def plain(kind: RequestKind, tag: str) -> Request:
        return target.request(kind, body=target.valid_body, headers=target.auth(), variant=tag)

    for header in SPOOF_HEADERS:

        def spoofed(tag: str, header: str = header) -> Request:
            return target.request(
                RequestKind.SPOOF,
                body=target.valid_body,
                headers=((header, forged(header, next(numbers))), *target.auth()),
                variant=tag,
            )

        # The burst met the limit after first_limited requests from a full quota, so as many
        # (plus one) always bring the real client back to it.
        probe_header(
            send_raw, plain, spoofed, header, prime_bound=burst.first_limited + 1, statuses=statuses
        )


def over_limit_size(settings: ProbeSettings) -> int:
    """Bytes of the over-the-limit bodies."""
    return settings.max_body_bytes + max(1024, math.ceil(settings.max_body_bytes / 16))
