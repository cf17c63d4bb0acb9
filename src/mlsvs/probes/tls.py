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
        # No common ground with a modern client: does the server speak only weak TLS?
        legacy, legacy_reason = _legacy_accepted(address, timeout_s=timeout_s)
        weak, weak_reason = _weak_cipher(address, timeout_s=timeout_s)
        return TlsInfo(
            failure=Failure.TLS,
            reason=exc.reason or str(exc),
            legacy_accepted=legacy,
            legacy_reason=legacy_reason,
            weak_cipher=weak,
            weak_reason=weak_reason,
        )
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
    legacy, legacy_reason = _legacy_accepted(address, timeout_s=timeout_s)
    weak, weak_reason = _weak_cipher(address, timeout_s=timeout_s)
    return TlsInfo(
        version=version,
        cipher=cipher,
        not_after=not_after,
        days_left=days_left,
        legacy_accepted=legacy,
        legacy_reason=legacy_reason,
        weak_cipher=weak,
        weak_reason=weak_reason,
    )


WEAK_CIPHERS = "aNULL:eNULL:EXPORT:RC4:DES:3DES:MD5:kRSA:@SECLEVEL=0"
"""Suites without forward secrecy (RSA key exchange), without authentication or encryption
(aNULL, eNULL), and broken ciphers (RC4, DES, 3DES, export, MD5)."""


def _offer(minimum: ssl.TLSVersion, maximum: ssl.TLSVersion, ciphers: str) -> ssl.SSLContext:
    """A non-verifying client that offers only ``ciphers`` between the two versions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old versions on purpose
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # only the protocol and cipher matter here
        context.minimum_version = minimum
        context.maximum_version = maximum
        context.set_ciphers(ciphers)
    return context


def _handshake(
    address: Address, context: ssl.SSLContext, timeout_s: float
) -> tuple[str, str] | str:
    """(version, cipher) of a completed handshake, or why it failed (as text)."""
    try:
        with (
            socket.create_connection((address.host, address.port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls,
        ):
            return tls.version() or "", (tls.cipher() or ("", "", 0))[0]
    except ssl.SSLError as exc:
        return f"ssl: {exc.reason or exc}"
    except OSError as exc:
        return f"network: {exc}"


_CANNOT_OFFER = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "UNSUPPORTED_PROTOCOL")


def _legacy_accepted(address: Address, *, timeout_s: float) -> tuple[bool | None, str]:
    """Whether the server completes a TLS 1.0/1.1-only handshake (None: not testable here,
    with the reason: the local OpenSSL may refuse to offer old versions at all)."""
    try:
        context = _offer(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, "DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as exc:
        return None, f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer TLS 1.0/1.1: {exc}"
    outcome = _handshake(address, context, timeout_s)
    if isinstance(outcome, tuple):
        return outcome[0] in {"TLSv1", "TLSv1.1"}, ""
    if outcome.startswith("network"):
        return None, outcome
    if any(marker in outcome.upper() for marker in _CANNOT_OFFER):
        return None, f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer TLS 1.0/1.1: {outcome}"
    return False, ""


def _weak_cipher(address: Address, *, timeout_s: float) -> tuple[str | None, str]:
    """The weak suite the server picks when offered only weak ones over TLS 1.2 ("" when it
    refuses; None with a reason when this OpenSSL cannot offer them)."""
    try:
        context = _offer(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, WEAK_CIPHERS)
    except (ValueError, ssl.SSLError) as exc:
        return None, f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer weak suites: {exc}"
    outcome = _handshake(address, context, timeout_s)
    if isinstance(outcome, tuple):
        return outcome[1] or "unknown suite", ""
    if outcome.startswith("network"):
        return None, outcome
    if "NO_CIPHERS_AVAILABLE" in outcome.upper():
        return None, f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer weak suites: {outcome}"
    return "", ""
