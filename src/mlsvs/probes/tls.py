"""TLS handshake inspection for https endpoints."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import warnings
from typing import TYPE_CHECKING

from mlsvs.probes.types import Failure, TlsInfo

if TYPE_CHECKING:
    from mlsvs.probes.wire import Address


def client_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying client context (system store, or ``ca_file`` for a private CA)."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def inspect_tls(
    address: Address, context: ssl.SSLContext, *, timeout_s: float, now: dt.datetime
) -> TlsInfo:
    """Handshake with certificate and hostname verification, then try a legacy-only handshake."""
    try:
        with (
            socket.create_connection((address.host, address.port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls,
        ):
            version = tls.version() or ""
            cipher = (tls.cipher() or ("", "", 0))[0]
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        return TlsInfo(failure=Failure.CERTIFICATE, reason=exc.verify_message or str(exc))
    except ssl.SSLError as exc:
        return TlsInfo(failure=Failure.TLS, reason=exc.reason or str(exc))
    except ConnectionRefusedError as exc:
        return TlsInfo(failure=Failure.REFUSED, reason=str(exc))
    except TimeoutError:
        return TlsInfo(failure=Failure.TIMEOUT, reason="TLS handshake timed out")
    except OSError as exc:
        return TlsInfo(failure=Failure.NETWORK, reason=str(exc))
    not_after = str(cert.get("notAfter", ""))
    days_left: int | None = None
    if not_after:
        expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=dt.UTC)
        days_left = (expires - now).days
    return TlsInfo(
        version=version,
        cipher=cipher,
        not_after=not_after,
        days_left=days_left,
        legacy_accepted=_legacy_accepted(address, timeout_s=timeout_s),
    )


def _legacy_accepted(address: Address, *, timeout_s: float) -> bool | None:
    """Whether the server completes a TLS 1.0/1.1-only handshake (None: not testable here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old versions on purpose
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # only the protocol version matters here
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return None
    try:
        with (
            socket.create_connection((address.host, address.port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls,
        ):
            return tls.version() in {"TLSv1", "TLSv1.1"}
    except ssl.SSLError as exc:
        # The local OpenSSL may refuse to offer old versions at all: then nothing was tested.
        if "NO_PROTOCOLS_AVAILABLE" in str(exc).upper():
            return None
        return False
    except OSError:
        return None
