"""Run every probe against one endpoint, in a fixed, bounded order, and judge the results.

Order: TLS handshakes, the valid request, authentication (no / wrong / odd credentials, the
credential in the query string), route discovery and every route without a credential,
malformed input, growth (cost curve, valid bodies over the limit), nested and slow bodies,
liveness, management paths, CORS, then the rate-limit burst (it may exhaust the quota) and the
forged client addresses that only mean something once the limit has answered.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING

from mlsvs.probes import attacks
from mlsvs.probes.bodies import (
    JsonValue,
    TemplateError,
    malformed_bodies,
    nested_body,
    parse_template,
    slow_body,
)
from mlsvs.probes.burst import run_burst
from mlsvs.probes.client import Client, Request
from mlsvs.probes.credentials import (
    WRONG_CREDENTIAL,
    auth_variants,
    derived_secrets,
    probe_tokens,
)
from mlsvs.probes.judge_content import judge_all
from mlsvs.probes.redact import Redactor
from mlsvs.probes.surface import CONTROL_PATH, management_paths
from mlsvs.probes.tls import client_context, inspect_tls
from mlsvs.probes.types import (
    Burst,
    Exchange,
    Failure,
    Observations,
    ProbeReport,
    RequestKind,
    TlsInfo,
)
from mlsvs.probes.wire import WireError, parse_url, request_head

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.model.artifact import Endpoint
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.wire import Address

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def probe_endpoint(
    endpoint: Endpoint,
    settings: ProbeSettings,
    credential: str | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: dt.datetime | None = None,
) -> ProbeReport:
    """Probe ``endpoint`` and judge every area. Never raises on network errors.

    ``credential`` is the secret itself (read by the caller from ``endpoint.auth_env``); it is
    sent only in the configured header and redacted from everything recorded.
    """
    start = clock()
    observations = _Prober(endpoint, settings, credential, clock=clock, sleep=sleep).observe(
        now or dt.datetime.now(tz=dt.UTC)
    )
    return ProbeReport(
        observations=observations,
        results=judge_all(observations, settings),
        duration_ms=round((clock() - start) * 1000),
    )


class _Prober:
    def __init__(
        self,
        endpoint: Endpoint,
        settings: ProbeSettings,
        credential: str | None,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.credential = credential or None
        self.clock = clock
        self.sleep = sleep
        self.method = endpoint.method.strip().upper() or "POST"
        self.exchanges: list[Exchange] = []
        self._path = "/"
        self._port = 0
        # Total time the probe may spend honouring Retry-After (the burst never waits).
        self._wait_left = settings.retry_after_max_s * 3
        self._deadline = clock() + settings.max_total_s
        self._routes: tuple[str, ...] = ()
        self._slow_client: Client | None = None
        self._uncovered: tuple[tuple[str, str], ...] = ()
        self._axes: tuple[tuple[str, str], ...] = ()
        self._variants = auth_variants(endpoint.auth_scheme, self.credential, round(time.time()))

    def _observations(
        self,
        address: Address | None,
        *,
        setup_error: str = "",
        tls: TlsInfo | None = None,
        burst: Burst | None = None,
    ) -> Observations:
        return Observations(
            endpoint=self.endpoint.name,
            url=self.endpoint.url,
            scheme=address.scheme if address else "",
            host=address.host if address else "",
            port=address.port if address else 0,
            loopback=address.loopback if address else False,
            body_probes=self.method in BODY_METHODS,
            credential_declared=bool(self.endpoint.auth_env),
            credential_present=self.credential is not None,
            exchanges=tuple(self.exchanges),
            setup_error=setup_error,
            tls=tls,
            burst=burst,
            routes=self._routes,
            uncovered=self._uncovered,
            axes=self._axes,
        )

    def observe(self, now: dt.datetime) -> Observations:
        try:
            address = parse_url(self.endpoint.url)
        except WireError as exc:
            return self._observations(None, setup_error=str(exc))
        template: JsonValue = None
        if self.method in BODY_METHODS:
            if not self.endpoint.request_template.strip():
                return self._observations(
                    address, setup_error="declare request_template (a valid JSON request body)"
                )
            try:
                template = parse_template(self.endpoint.request_template)
            except TemplateError as exc:
                return self._observations(address, setup_error=str(exc))
        try:  # header names and the method must be valid HTTP tokens
            request_head(
                method=self.method,
                path="/",
                host_header=address.host_header,
                headers=self._headers(self.credential, body=False),
                content_length=None,
            )
        except WireError as exc:
            return self._observations(address, setup_error=f"endpoint {self.endpoint.name}: {exc}")
        tls_info = None
        context = None
        if address.scheme == "https":
            try:
                context = client_context(self.settings.ca_file)
            except (OSError, ValueError) as exc:
                return self._observations(address, setup_error=f"ca_file: {exc}")
            tls_info = inspect_tls(address, context, timeout_s=self.settings.timeout_s, now=now)
            if tls_info.failure is not None:
                return self._observations(address, tls=tls_info)
        scheme = self.endpoint.auth_scheme
        redactor = (
            Redactor.for_secrets(self.credential)
            .with_secrets(*derived_secrets(self._variants, scheme), label="credential")
            .with_secrets(*probe_tokens(self._variants, scheme), label="probe credential")
        )
        client = Client(
            address,
            timeout_s=self.settings.timeout_s,
            redactor=redactor,
            tls=context,
            clock=self.clock,
        )
        # The cost curve waits long enough to tell "slower than max_request_s" from a timeout.
        self._slow_client = Client(
            address,
            timeout_s=max(self.settings.timeout_s, self.settings.max_request_s * 1.2),
            redactor=redactor,
            tls=context,
            clock=self.clock,
        )
        burst = self._run(client, address, template)
        return self._observations(address, tls=tls_info, burst=burst)

    def _send_request(self, client: Client) -> Callable[[Request], Exchange]:
        return lambda request: self._send(client, request)

    def _send_raw(self, client: Client) -> Callable[[Request], Exchange]:
        """Send without the Retry-After wait: the probe wants to see the 429."""

        def send(request: Request) -> Exchange:
            exchange = client.send(request)
            self.exchanges.append(exchange)
            return exchange

        return send

    def _headers(self, credential: str | None, *, body: bool) -> tuple[tuple[str, str], ...]:
        headers: list[tuple[str, str]] = []
        if body:
            headers.append(("Content-Type", "application/json"))
        if credential is not None:
            scheme = self.endpoint.auth_scheme.strip()
            value = f"{scheme} {credential}" if scheme else credential
            headers.append((self.endpoint.auth_header, value))
        return tuple(headers)

    def _request(
        self,
        kind: RequestKind,
        body: bytes | None,
        credential: str | None,
        *,
        declared_length: int | None = None,
        trickle_s: float = 0.0,
    ) -> Request:
        return Request(
            kind=kind,
            method=self.method,
            path=self._path,
            headers=self._headers(credential, body=body is not None),
            body=body,
            declared_length=declared_length,
            trickle_s=trickle_s,
        )

    def _send(self, client: Client, request: Request) -> Exchange:
        if self.clock() >= self._deadline:
            exchange = Exchange(
                kind=request.kind,
                method=request.method,
                path=request.path,
                port=request.port or self._port,
                failure=Failure.TIMEOUT,
                reason=f"not sent: time budget of {self.settings.max_total_s:g} s used up",
            )
            self.exchanges.append(exchange)
            return exchange
        exchange = self._polite(client, request)
        self.exchanges.append(exchange)
        return exchange

    def _polite(self, client: Client, request: Request) -> Exchange:
        """Send; on 429 with a short Retry-After, wait once and resend (bounded overall)."""
        exchange = client.send(request)
        wait = _retry_after(exchange)
        if wait is not None and wait <= min(self.settings.retry_after_max_s, self._wait_left):
            self._wait_left -= wait
            self.sleep(wait)
            exchange = client.send(request)
        return exchange

    def _run(self, client: Client, address: Address, template: JsonValue) -> Burst | None:
        self._path = address.path
        self._port = address.port
        has_body = self.method in BODY_METHODS
        valid_body = _dump(template) if has_body else None
        baseline_request = self._request(RequestKind.BASELINE, valid_body, self.credential)
        baseline = self._send(client, baseline_request)
        if baseline.status is None:
            return None  # unreachable: every area is "could not verify"; send nothing more
        send = self._send_request(client)
        target = attacks.ProbeTarget(
            method=self.method,
            path=address.path,
            valid_body=valid_body,
            auth_header=self.endpoint.auth_header,
            auth_scheme=self.endpoint.auth_scheme,
            credential=self.credential,
        )
        self._send(client, self._request(RequestKind.NO_AUTH, valid_body, None))
        self._send(client, self._request(RequestKind.WRONG_AUTH, valid_body, WRONG_CREDENTIAL))
        attacks.probe_credentials(send, target, self._variants)
        self._send(client, Request(kind=RequestKind.CONTROL, method="GET", path=CONTROL_PATH))
        document, _ = attacks.discover(send, target)
        skip = {self.endpoint.health_path} if self.endpoint.health_path else set()
        routes, left_out = attacks.plan_routes(target, document, self.settings, skip)
        attacks.probe_routes(send, target, routes)
        self._routes = tuple(r.label for r in routes)
        self._uncovered = left_out
        accepted = 200 <= baseline.status < 300
        if accepted and has_body:
            self._hostile(client, template, target)
        self._management(client, address)
        if not accepted:
            return None
        attacks.probe_cors(send, target, address.scheme, address.host)
        burst = run_burst(client, baseline_request, self.settings, clock=self.clock)
        attacks.probe_spoofing(
            self._send_raw(client), target, burst, self.settings.rate_limit_statuses
        )
        return burst

    def _hostile(self, client: Client, template: JsonValue, target: attacks.ProbeTarget) -> None:
        for kind, body in malformed_bodies(template):
            self._send(client, self._request(kind, body, self.credential))
        self._axes = attacks.probe_growth(
            self._send_request(client),
            target,
            template,
            self.settings,
            send_timed=self._send_request(self._slow_client or client),
        )
        deep = nested_body(self.settings.nesting_depth)
        self._send(client, self._request(RequestKind.DEEP_NESTING, deep, self.credential))
        data, length = slow_body(template)
        slow = self._request(
            RequestKind.SLOW_BODY,
            data,
            self.credential,
            declared_length=length,
            trickle_s=self.settings.slow_body_s,
        )
        self._send(client, slow)
        if self.endpoint.health_path:
            liveness = Request(
                kind=RequestKind.LIVENESS, method="GET", path=self.endpoint.health_path
            )
        else:
            liveness = self._request(RequestKind.LIVENESS, _dump(template), self.credential)
        self._send(client, liveness)

    def _management(self, client: Client, address: Address) -> None:
        skip = {address.path.split("?")[0], self.endpoint.health_path}
        paths = [
            m
            for m in management_paths(address.path, self.settings.management_paths)
            if m.path.split("?")[0] not in skip
        ]
        for port in (address.port, *self.settings.management_ports):
            for entry in paths:
                headers = (("Content-Type", "application/json"),) if entry.body else ()
                request = Request(
                    kind=RequestKind.MANAGEMENT,
                    method=entry.method,
                    path=entry.path,
                    headers=headers,
                    body=entry.body,
                    port=None if port == address.port else port,
                )
                exchange = self._send(client, request)
                if port != address.port and exchange.failure in {Failure.REFUSED, Failure.TIMEOUT}:
                    break  # nothing listens on that port: one refusal is the evidence


def _dump(value: JsonValue) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _retry_after(exchange: Exchange) -> float | None:
    if exchange.status != 429:
        return None
    value = (exchange.header("retry-after") or "").strip()
    return float(value) if value.isdigit() else None
