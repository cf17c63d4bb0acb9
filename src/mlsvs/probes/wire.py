"""Pure HTTP/1.1 helpers: URL parsing, request heads and response parsing (no I/O)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_END = b"\r\n\r\n"


class WireError(ValueError):
    """Bytes that are not an HTTP/1.x response, or a URL that cannot be probed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """Where an endpoint lives."""

    scheme: str
    host: str
    port: int
    path: str
    """Path and query of the endpoint itself."""

    @property
    def loopback(self) -> bool:
        """Whether the host is this machine (127.0.0.0/8, ::1, localhost)."""
        return is_loopback(self.host)

    @property
    def host_header(self) -> str:
        """Value of the ``Host`` header."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def origin(self, port: int | None = None) -> str:
        """``scheme://host:port`` for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{port or self.port}"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` (names other than localhost are not resolved)."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_url(url: str) -> Address:
    """Split an endpoint URL; ``WireError`` for anything but a plain http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WireError(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme not in {"http", "https"}:
        raise WireError(f"URL {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise WireError(f"URL {url!r} has no host")
    if parts.username or parts.password:
        raise WireError("credentials in the URL are not allowed; use auth_env")
    if any(c in url for c in "\r\n\t "):
        raise WireError(f"URL {url!r} contains whitespace")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Address(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (443 if parts.scheme == "https" else 80),
        path=path,
    )


def request_head(
    *,
    method: str,
    path: str,
    host_header: str,
    headers: tuple[tuple[str, str], ...],
    content_length: int | None,
) -> bytes:
    """The request line and headers; ``Connection: close`` so every request is self-contained."""
    if not _TOKEN.match(method):
        raise WireError(f"invalid HTTP method {method!r}")
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host_header}",
        "User-Agent: mlsvs-probe",
        "Accept: application/json",
        "Connection: close",
    ]
    for name, value in headers:
        if not _TOKEN.match(name) or any(c in value for c in "\r\n"):
            raise WireError(f"invalid header {name!r}")
        lines.append(f"{name}: {value}")
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass(frozen=True, slots=True, kw_only=True)
class RawResponse:
    """A parsed response: status, headers (lower-cased names) and the raw body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def head_complete(buffer: bytes | bytearray) -> bool:
    """Whether the status line and headers have all arrived."""
    return _HEADER_END in buffer


def parse_head(buffer: bytes) -> tuple[int, tuple[tuple[str, str], ...], int]:
    """Status, headers and the offset where the body starts. Skips ``1xx`` interim responses."""
    offset = 0
    while True:
        end = buffer.find(_HEADER_END, offset)
        if end < 0:
            raise WireError("incomplete response head")
        lines = buffer[offset:end].decode("latin-1").split("\r\n")
        match = re.match(r"^HTTP/1\.[01] (\d{3})(?: .*)?$", lines[0])
        if match is None:
            raise WireError(f"not an HTTP response: {lines[0][:60]!r}")
        status = int(match.group(1))
        if 100 <= status < 200:
            offset = end + len(_HEADER_END)
            continue
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise WireError(f"malformed header line {line[:60]!r}")
            headers.append((name.strip().lower(), value.strip()))
        return status, tuple(headers), end + len(_HEADER_END)


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k == name), None)


def body_complete(headers: tuple[tuple[str, str], ...], body: bytes, *, method: str) -> bool:
    """Whether the whole body has arrived (close-delimited bodies never are before EOF)."""
    if method == "HEAD":
        return True
    if "chunked" in (_header(headers, "transfer-encoding") or "").lower():
        return body.endswith(b"0\r\n\r\n")
    length = _header(headers, "content-length")
    if length is not None and length.isdigit():
        return len(body) >= int(length)
    return False


def decode_body(headers: tuple[tuple[str, str], ...], body: bytes) -> bytes:
    """Undo chunked transfer coding (best effort on truncated input)."""
    if "chunked" not in (_header(headers, "transfer-encoding") or "").lower():
        length = _header(headers, "content-length")
        return body[: int(length)] if length is not None and length.isdigit() else body
    out = bytearray()
    pos = 0
    while pos < len(body):
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            break
        size_text = body[pos:line_end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            break
        if size == 0:
            break
        start = line_end + 2
        out += body[start : start + size]
        pos = start + size + 2
    return bytes(out)


def parse_response(buffer: bytes) -> RawResponse:
    """Parse a complete (or truncated) response; ``WireError`` if it is not HTTP."""
    status, headers, start = parse_head(buffer)
    return RawResponse(status=status, headers=headers, body=decode_body(headers, buffer[start:]))
