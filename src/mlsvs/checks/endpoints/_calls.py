"""Plain requests to a declared endpoint's server through the probes' own HTTP client (raw
sockets, no redirects, bounded reads, every credential redacted from what is kept)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.probes.client import Client, Request
from mlsvs.probes.redact import Redactor
from mlsvs.probes.types import RequestKind
from mlsvs.probes.wire import Address, WireError, parse_url

if TYPE_CHECKING:
    from mlsvs.plugin import Endpoint
    from mlsvs.probes.types import Exchange

TIMEOUT_S = 10.0


def secret(env: str | None) -> str | None:
    """The credential held in environment variable ``env`` (never stored or shown)."""
    return os.environ.get(env) if env else None


def auth_header(endpoint: Endpoint, credential: str | None) -> tuple[tuple[str, str], ...]:
    """The endpoint's authentication header carrying ``credential`` (none without one)."""
    if not credential:
        return ()
    value = f"{endpoint.auth_scheme} {credential}" if endpoint.auth_scheme else credential
    return ((endpoint.auth_header, value),)


@dataclass(slots=True, kw_only=True)
class Caller:
    """Requests to the host and port of one endpoint URL."""

    url: str
    secrets: tuple[str, ...] = ()
    timeout_s: float = TIMEOUT_S
    address: Address = field(init=False)
    _client: Client = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.address = parse_url(self.url)
        except WireError as exc:
            raise ConfigError(str(exc)) from None
        tls = None
        if self.address.scheme == "https":
            from mlsvs.probes.tls import client_context

            tls = client_context()
        self._client = Client(
            self.address,
            timeout_s=self.timeout_s,
            redactor=Redactor.for_secrets(*self.secrets),
            tls=tls,
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        body: object = None,
        kind: RequestKind = RequestKind.BASELINE,
        variant: str = "",
    ) -> Exchange:
        """One request; a JSON ``body`` is serialised (bytes are sent as they are)."""
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
        if data is not None:
            headers = (("Content-Type", "application/json"), *headers)
        return self._client.send(
            Request(
                kind=kind, method=method, path=path, headers=headers, body=data, variant=variant
            )
        )


def ok(exchange: Exchange) -> bool:
    """A 2xx answer."""
    return exchange.status is not None and 200 <= exchange.status < 300


def refused(exchange: Exchange) -> bool:
    """An explicit refusal: 401, 403 or 404 (a hidden resource)."""
    return exchange.status in {401, 403, 404}


def json_body(exchange: Exchange) -> object:
    """The answer as JSON, or None when it is not JSON."""
    try:
        return json.loads(exchange.body)
    except ValueError:
        return None


def described(exchange: Exchange) -> str:
    """``METHOD /path -> 200`` or ``-> no answer (reason)``."""
    if exchange.status is None:
        what = exchange.failure.value if exchange.failure else "no answer"
        return f"{exchange.method} {exchange.path} -> {what} ({exchange.reason[:80]})"
    return f"{exchange.method} {exchange.path} -> {exchange.status}"
