"""A small model server with switchable flaws, each one seen in real deployments.

Stdlib ``http.server`` on 127.0.0.1 (ephemeral port, stopped by the context manager). With no
flaw switched on it is hardened: Bearer auth (scheme case-insensitive, key compared in constant
time) on every route but ``/healthz``, a per-credential token bucket answering 429 with
Retry-After, a Content-Length limit answered 413 before the body is read, a body read deadline
(408), strict validation (400/422), generic errors, no Server banner, no CORS headers.

The model scores a batch ``{"instances": [[x1, x2, x3], ...]}`` with a fixed linear rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.server
import io
import json
import math
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator

API_KEY = "flawed-server-key-0c9b8a7d6e5f"
TEMPLATE = '{"instances": [[0.5, 1.5, 2.5]]}'
MAX_READ = 64 * 1024 * 1024
"""Even the flawed server stops reading here (tests stay bounded)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Flaws:
    """Which flaws the server has (all off: hardened)."""

    alias_without_auth: bool = False
    """``/v1/predict`` is mounted without the auth dependency."""
    lowercase_scheme_skips_check: bool = False
    """``bearer …`` (legacy clients) is let through without comparing the key."""
    query_credential_echo: bool = False
    """``?api_key=`` is accepted, and errors echo the presented key and the request URL."""
    xff_rate_limit: bool = False
    """The limiter is keyed on X-Forwarded-For (else the socket address), not the credential."""
    cors_reflects_with_credentials: bool = False
    weights_route: bool = False
    """``GET /weights`` serves the model archive without a credential."""
    no_body_limit: bool = False
    quadratic_cost: bool = False
    """Cost grows with the square of the batch size (pairwise work)."""
    openapi_hidden_route: bool = False
    """``/openapi.json`` is public and lists ``POST /internal/score``, which has no auth."""
    body_limit: int = 64 * 1024
    rate_capacity: float = 45
    rate_refill_per_s: float = 2.0
    quadratic_s_per_pair: float = 1.5e-6


class _Bucket:
    def __init__(self, capacity: float, refill: float) -> None:
        self.capacity = capacity
        self.refill = refill
        self.lock = threading.Lock()
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> tuple[bool, int]:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill)
            if tokens >= 1:
                self.state[key] = (tokens - 1, now)
                return True, 0
            self.state[key] = (tokens, now)
            return False, max(1, math.ceil((1 - tokens) / self.refill))


def weights_archive() -> bytes:
    """A tiny zip like a saved model (inert bytes only)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/data.pkl", b"inert test bytes, not a pickle")
        archive.writestr("model/version", b"3")
    return buffer.getvalue()


def _openapi() -> dict[str, object]:
    operation = {"requestBody": {"content": {"application/json": {}}}, "responses": {}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "flawed", "version": "1"},
        "paths": {
            "/predict": {"post": operation},
            "/internal/score": {"post": operation},
            "/healthz": {"get": {"responses": {}}},
            "/admin/reload": {"post": operation},
        },
    }


class _Handler(http.server.BaseHTTPRequestHandler):
    flaws: Flaws
    bucket: _Bucket
    protocol_version = "HTTP/1.1"
    timeout = 1.0  # body read deadline: a trickled body gets 408

    def version_string(self) -> str:
        return ""

    def log_message(self, format: str, *args: object) -> None:
        return

    # --- replies ---------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        payload: object,
        headers: dict[str, str] | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        for name, value in self._cors().items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _cors(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        if not (self.flaws.cors_reflects_with_credentials and origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Headers": "authorization, content-type",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
        }

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        payload: dict[str, object] = {"error": message}
        if self.flaws.query_credential_echo:
            payload["request"] = self.path  # "helpful" context, query string included
            payload["presented_key"] = self._presented_key()
        self._send(status, payload, headers)

    # --- auth ------------------------------------------------------------------------------

    def _presented_key(self) -> str:
        header = self.headers.get("Authorization", "")
        if header:
            return header.partition(" ")[2].strip() or header
        return "".join(parse_qs(urlsplit(self.path).query).get("api_key", []))

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if self.flaws.lowercase_scheme_skips_check and header[:7] == "bearer ":
            return True  # "legacy clients": the key is never compared
        token = ""
        scheme, sep, rest = header.partition(" ")
        if sep and scheme.lower() == "bearer":
            token = rest.strip() if rest == rest.lstrip() else ""
        if not token and self.flaws.query_credential_echo:
            token = "".join(parse_qs(urlsplit(self.path).query).get("api_key", []))
        if not token:
            return False
        return hmac.compare_digest(
            hashlib.sha256(token.encode()).digest(), hashlib.sha256(API_KEY.encode()).digest()
        )

    # --- routing ---------------------------------------------------------------------------

    def do_OPTIONS(self) -> None:
        if self.flaws.cors_reflects_with_credentials and self.headers.get("Origin"):
            self._send(204, None, raw=b"")
            return
        self._error(405, "method not allowed")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(200, {"status": "ok"})
            return
        if path == "/weights" and self.flaws.weights_route:
            self._send(
                200,
                None,
                {"Content-Disposition": 'attachment; filename="model.zip"'},
                raw=weights_archive(),
                content_type="application/octet-stream",
            )
            return
        if path == "/openapi.json" and self.flaws.openapi_hidden_route:
            self._send(200, _openapi())
            return
        if not self._authorised():
            self._error(401, "unauthorized", {"WWW-Authenticate": 'Bearer realm="api"'})
            return
        self._error(404, "not found")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        public = (self.flaws.alias_without_auth and path == "/v1/predict") or (
            self.flaws.openapi_hidden_route and path == "/internal/score"
        )
        if not public and not self._authorised():
            self._error(401, "unauthorized", {"WWW-Authenticate": 'Bearer realm="api"'})
            return
        if path not in {"/predict", "/v1/predict", "/internal/score"} or (
            path == "/v1/predict" and not self.flaws.alias_without_auth
        ):
            self._error(404, "not found")
            return
        if not self._take():
            return
        raw = self._body()
        if raw is None:
            return
        self._predict(raw)

    def _take(self) -> bool:
        if self.flaws.xff_rate_limit:
            forwarded = self.headers.get("X-Forwarded-For", "").split(",")[0].strip()
            key = forwarded or self.client_address[0]
        else:
            key = "credential"
        allowed, retry = self.bucket.take(key)
        if not allowed:
            self._error(429, "rate limit exceeded", {"Retry-After": str(retry)})
        return allowed

    def _body(self) -> bytes | None:
        declared = self.headers.get("Content-Length", "")
        if not declared.isdigit():
            self._error(411, "length required")
            return None
        length = int(declared)
        if length > self.flaws.body_limit and not self.flaws.no_body_limit:
            self._error(413, "request body too large")
            return None
        chunks: list[bytes] = []
        remaining = min(length, MAX_READ)
        deadline = time.monotonic() + self.timeout
        try:
            while remaining > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
        except TimeoutError:
            self._error(408, "request body not received in time")
            return None
        return b"".join(chunks)

    def _predict(self, raw: bytes) -> None:
        try:
            document = json.loads(raw, parse_constant=_refuse)
        except (ValueError, RecursionError):
            self._error(400, "invalid JSON")
            return
        rows = document.get("instances") if isinstance(document, dict) else None
        if (
            not isinstance(document, dict)
            or set(document) != {"instances"}
            or not isinstance(rows, list)
            or not rows
            or not all(_valid_row(r) for r in rows)
        ):
            self._error(422, "invalid request")
            return
        if self.flaws.quadratic_cost:
            time.sleep(self.flaws.quadratic_s_per_pair * len(rows) ** 2)
        labels = ["high" if sum(r) > 4 else "low" for r in rows]
        self._send(200, {"labels": labels})


def _refuse(text: str) -> float:
    raise ValueError(text)


def _valid_row(row: object) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 3
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in row
        )
    )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # cut-off uploads and resets are expected here


@contextlib.contextmanager
def serve(flaws: Flaws = Flaws()) -> Iterator[int]:
    """Run the server on 127.0.0.1 in a thread; yields its port; stops it on exit."""
    handler = type(
        "Handler",
        (_Handler,),
        {"flaws": flaws, "bucket": _Bucket(flaws.rate_capacity, flaws.rate_refill_per_s)},
    )
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
