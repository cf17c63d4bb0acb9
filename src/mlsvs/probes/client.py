"""A deliberately small HTTP/1.1 client on raw sockets.

Why not ``http.client`` or httpx: the probes must send malformed and slow bodies, notice a
response that arrives while the body is still being sent, bound every read by a deadline, and
never follow a redirect. One request per connection (``Connection: close``).
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.probes.artifacts import artifact_format
from mlsvs.probes.types import Exchange, Failure, RequestKind
from mlsvs.probes.wire import (
    WireError,
    body_complete,
    head_complete,
    parse_head,
    parse_response,
    request_head,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.probes.redact import Redactor
    from mlsvs.probes.wire import Address

MAX_RESPONSE_BYTES = 256 * 1024
"""Bytes of a response kept for analysis; the rest is not read."""
_CHUNK = 64 * 1024
_TRICKLE_INTERVAL_S = 0.25
_BODY_TIMEOUTS = 4
"""A request body must be sent within this many per-request timeouts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One request to send."""

    kind: RequestKind
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    declared_length: int | None = None
    """Content-Length to announce when it differs from ``len(body)`` (slow bodies)."""
    trickle_s: float = 0.0
    """When > 0, send the body one byte at a time for at most this long."""
    port: int | None = None
    """Another port on the same host (management probes)."""
    variant: str = ""
    """Recorded with the exchange: which variant of the probe this is."""


class _NoResponseError(Exception):
    def __init__(self, failure: Failure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason


class Client:
    """Sends requests to one address. Holds no connection between requests."""

    def __init__(
        self,
        address: Address,
        *,
        timeout_s: float,
        redactor: Redactor,
        tls: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._address = address
        self._timeout = timeout_s
        self._redactor = redactor
        self._tls = tls
        self._clock = clock

    def send(self, request: Request) -> Exchange:
        """Send ``request`` and return the (redacted) exchange; never raises on network errors."""
        start = self._clock()
        port = request.port or self._address.port
        sent = 0
        try:
            sock = self._connect(port)
        except _NoResponseError as exc:
            return self._exchange(request, port, start, failure=exc.failure, reason=exc.reason)
        try:
            early = bytearray()
            sent, answered = self._send_request(sock, request, early)
            trickled = request.trickle_s > 0 and not answered
            raw = self._read(sock, request.method, early, trickled=trickled)
            response = parse_response(raw)
        except _NoResponseError as exc:
            return self._exchange(
                request, port, start, failure=exc.failure, reason=exc.reason, sent=sent
            )
        except WireError as exc:
            return self._exchange(
                request, port, start, failure=Failure.PROTOCOL, reason=str(exc), sent=sent
            )
        finally:
            sock.close()
        text = response.body.decode("utf-8", errors="replace")
        body, reflected = self._redactor.scan(text)
        headers: list[tuple[str, str]] = []
        seen = set(reflected)
        for name, value in response.headers:
            clean, found = self._redactor.scan(value)
            seen.update(found)
            headers.append((name, clean))
        return Exchange(
            kind=request.kind,
            method=request.method,
            path=self._redactor.text(request.path),
            port=port,
            status=response.status,
            elapsed_ms=self._ms(start),
            headers=tuple(headers),
            body=body,
            sent_bytes=sent,
            variant=self._redactor.text(request.variant),
            reflected=tuple(sorted(seen)),
            body_format=artifact_format(response.body[:512]),
        )

    def _ms(self, start: float) -> int:
        return max(0, round((self._clock() - start) * 1000))

    def _exchange(
        self,
        request: Request,
        port: int,
        start: float,
        *,
        failure: Failure,
        reason: str,
        sent: int = 0,
    ) -> Exchange:
        return Exchange(
            kind=request.kind,
            method=request.method,
            path=self._redactor.text(request.path),
            port=port,
            variant=self._redactor.text(request.variant),
            failure=failure,
            reason=self._redactor.text(reason)[:200],
            elapsed_ms=self._ms(start),
            sent_bytes=sent,
        )

    def _connect(self, port: int) -> socket.socket:
        host = self._address.host
        try:
            sock = socket.create_connection((host, port), timeout=self._timeout)
        except ConnectionRefusedError as exc:
            raise _NoResponseError(
                Failure.REFUSED, f"{self._address.origin(port)}: {exc}"
            ) from None
        except TimeoutError:
            raise _NoResponseError(
                Failure.TIMEOUT, f"connect to {self._address.origin(port)}"
            ) from None
        except OSError as exc:
            raise _NoResponseError(
                Failure.NETWORK, f"{self._address.origin(port)}: {exc}"
            ) from None
        if self._address.scheme != "https":
            return sock
        context = self._tls or ssl.create_default_context()
        try:
            return context.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise _NoResponseError(Failure.CERTIFICATE, exc.verify_message or str(exc)) from None
        except ssl.SSLError as exc:
            sock.close()
            raise _NoResponseError(Failure.TLS, exc.reason or str(exc)) from None
        except TimeoutError:
            sock.close()
            raise _NoResponseError(Failure.TIMEOUT, "TLS handshake") from None
        except OSError as exc:
            sock.close()
            raise _NoResponseError(Failure.TLS, str(exc)) from None

    def _send_request(
        self, sock: socket.socket, request: Request, early: bytearray
    ) -> tuple[int, bool]:
        """Send head and body. Returns (bytes sent, whether the server answered early)."""
        body = request.body
        length = request.declared_length
        if length is None and body is not None:
            length = len(body)
        head = request_head(
            method=request.method,
            path=request.path,
            host_header=self._address.host_header,
            headers=request.headers,
            content_length=length,
        )
        sent = 0
        try:
            sock.sendall(head)
            sent += len(head)
            if not body:
                return sent, False
            if request.trickle_s > 0:
                return self._trickle(sock, body, request.trickle_s, sent, early)
            # The whole body must go out within a few timeouts, however slowly the server reads.
            deadline = self._clock() + self._timeout * _BODY_TIMEOUTS
            for offset in range(0, len(body), _CHUNK):
                remaining = deadline - self._clock()
                if remaining <= 0 or _answered(sock, early):
                    return sent, True
                sock.settimeout(min(self._timeout, remaining))
                sock.sendall(body[offset : offset + _CHUNK])
                sent += min(_CHUNK, len(body) - offset)
        except TimeoutError:
            return sent, True  # the server stopped reading: look for its answer
        except OSError:
            return sent, True  # reset or broken pipe: the answer may already be buffered
        return sent, False

    def _trickle(
        self, sock: socket.socket, body: bytes, limit_s: float, sent: int, early: bytearray
    ) -> tuple[int, bool]:
        deadline = self._clock() + limit_s
        for index in range(len(body)):
            if _answered(sock, early, _TRICKLE_INTERVAL_S):
                return sent, True
            if self._clock() >= deadline:
                return sent, False
            sock.sendall(body[index : index + 1])
            sent += 1
        return sent, True  # the whole body went out: read the answer normally

    def _read(self, sock: socket.socket, method: str, early: bytearray, *, trickled: bool) -> bytes:
        if trickled and not _answered(sock, early):
            raise _NoResponseError(Failure.STILL_OPEN, "the body was still being trickled")
        deadline = self._clock() + self._timeout
        buffer = bytearray(early)
        while len(buffer) < MAX_RESPONSE_BYTES:
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(_CHUNK)
            except TimeoutError:
                break
            except OSError as exc:
                if not buffer:
                    raise _NoResponseError(Failure.CLOSED, str(exc)) from None
                break
            if not chunk:
                break
            buffer += chunk
            if head_complete(buffer):
                try:
                    _, headers, start = parse_head(bytes(buffer))
                except WireError:
                    break
                if body_complete(headers, bytes(buffer[start:]), method=method):
                    break
        if not buffer:
            if self._clock() >= deadline:
                raise _NoResponseError(Failure.TIMEOUT, f"no response within {self._timeout:g} s")
            raise _NoResponseError(Failure.CLOSED, "the server closed the connection")
        if not head_complete(buffer):
            raise _NoResponseError(Failure.TIMEOUT, "incomplete response head")
        return bytes(buffer)


def _answered(sock: socket.socket, early: bytearray, wait_s: float = 0.0) -> bool:
    """Whether the server sent response bytes (kept in ``early``) or closed, within ``wait_s``.

    On TLS a readable socket may only carry protocol records (TLS 1.3 session tickets), so a
    non-blocking read decides; application data read that way is kept for the reader.
    """
    if early:
        return True
    if not isinstance(sock, ssl.SSLSocket):
        ready, _, _ = select.select([sock], [], [], wait_s)
        return bool(ready)
    if not sock.pending():
        ready, _, _ = select.select([sock], [], [], wait_s)
        if not ready:
            return False
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        data = sock.recv(_CHUNK)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False
    except OSError:
        return True  # reset: the reader reports it
    finally:
        sock.settimeout(timeout)
    early += data
    return True
