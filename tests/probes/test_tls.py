"""TLS flaws on real local TLS servers: expired certificate, TLS 1.0/1.1 offered, weak suites.

Certificates are made with ``cryptography`` at test time. Whether this machine's OpenSSL can
still speak TLS 1.0/1.1 or the weak suites at all is found out first: where it cannot, the
probe must say "not verified", never pass.
"""

from __future__ import annotations

import ssl
import warnings
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.artifact import Endpoint
from mlsvs.probes import Area, ProbeSettings, ProbeVerdict, probe_endpoint
from mlsvs.probes.tls import WEAK_CIPHERS
from tests.probes import servers

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.network, pytest.mark.slow]

LEGACY_SERVER_CIPHERS = "DEFAULT:@SECLEVEL=0"
WEAK_SERVER_CIPHERS = "ECDHE+AESGCM:AES128-SHA:@SECLEVEL=0"
"""Modern suites first, plus TLS_RSA_WITH_AES_128_CBC_SHA (no forward secrecy) kept "for old
clients": the common real-world case."""
WEAK_ONLY = "AES128-SHA:@SECLEVEL=0"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    pytest.importorskip("cryptography")
    tmp = tmp_path_factory.mktemp("tls")
    return {
        "good": servers.self_signed(tmp),
        "expired": servers.self_signed(tmp, expired=True),
        "rsa": servers.self_signed(tmp, rsa=True),
    }


def _settings(cert: Path) -> ProbeSettings:
    return ProbeSettings(timeout_s=2.0, slow_body_s=1.0, burst=5, ca_file=str(cert))


def _transport(port: int, cert: Path) -> tuple[ProbeVerdict, str, dict[str, str]]:
    """The transport verdict, message and facts of a probe run against ``port``."""
    endpoint = Endpoint(
        name="e", url=f"https://127.0.0.1:{port}/predict", request_template=servers.TEMPLATE
    )
    result = probe_endpoint(endpoint, _settings(cert), None).result(Area.TRANSPORT)
    return result.verdict, result.message, dict(result.facts)


def _handshake(port: int, minimum: ssl.TLSVersion, maximum: ssl.TLSVersion, ciphers: str) -> str:
    """Exploit check: the handshake a downgraded client makes, as ``ssl`` reports it."""
    import socket

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = minimum
        context.maximum_version = maximum
        context.set_ciphers(ciphers)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return f"{tls.version()} {tls.cipher()[0]}"  # type: ignore[index]


def _openssl_can(minimum: ssl.TLSVersion, maximum: ssl.TLSVersion, ciphers: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = minimum
            context.maximum_version = maximum
            context.set_ciphers(ciphers)
    except (ValueError, ssl.SSLError):
        return False
    return True


def test_expired_certificate_fails_even_when_its_ca_is_trusted(
    certs: dict[str, tuple[Path, Path]],
) -> None:
    cert, key = certs["expired"]
    with servers.tls_server(cert, key) as port:
        verdict, message, _ = _transport(port, cert)
    assert verdict is ProbeVerdict.FAIL
    assert "expired" in message


def test_legacy_protocols_offered_fail(certs: dict[str, tuple[Path, Path]]) -> None:
    tls1, tls11 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1
    if not _openssl_can(tls1, tls11, LEGACY_SERVER_CIPHERS):
        pytest.skip(f"{ssl.OPENSSL_VERSION} cannot run a TLS 1.0/1.1 server here")
    cert, key = certs["good"]
    with servers.tls_server(cert, key, minimum=tls1, ciphers=LEGACY_SERVER_CIPHERS) as port:
        negotiated = _handshake(port, tls1, tls11, LEGACY_SERVER_CIPHERS)
        assert negotiated.startswith(("TLSv1 ", "TLSv1.1 "))  # the downgrade really works
        verdict, message, facts = _transport(port, cert)
    assert verdict is ProbeVerdict.FAIL
    assert "TLS 1.0/1.1" in message
    assert facts["tls.legacy_accepted"] == "yes"


def test_weak_cipher_suite_fails(certs: dict[str, tuple[Path, Path]]) -> None:
    tls12 = ssl.TLSVersion.TLSv1_2
    if not _openssl_can(tls12, tls12, WEAK_SERVER_CIPHERS):
        pytest.skip(f"{ssl.OPENSSL_VERSION} cannot offer {WEAK_SERVER_CIPHERS} here")
    cert, key = certs["rsa"]
    with servers.tls_server(
        cert, key, minimum=tls12, maximum=tls12, ciphers=WEAK_SERVER_CIPHERS
    ) as port:
        assert _handshake(port, tls12, tls12, WEAK_CIPHERS).endswith("AES128-SHA")
        verdict, message, facts = _transport(port, cert)
    assert verdict is ProbeVerdict.FAIL
    assert "weak cipher suite AES128-SHA" in message
    assert facts["tls.weak_cipher"] == "AES128-SHA"


def test_a_server_with_only_weak_suites_fails(certs: dict[str, tuple[Path, Path]]) -> None:
    tls12 = ssl.TLSVersion.TLSv1_2
    if not _openssl_can(tls12, tls12, WEAK_ONLY):
        pytest.skip(f"{ssl.OPENSSL_VERSION} cannot offer {WEAK_ONLY} here")
    cert, key = certs["rsa"]
    with servers.tls_server(cert, key, minimum=tls12, maximum=tls12, ciphers=WEAK_ONLY) as port:
        verdict, message, _ = _transport(port, cert)
    assert verdict is ProbeVerdict.FAIL
    assert "accepts the weak suite AES128-SHA" in message


def test_hardened_tls_passes_with_every_handshake_tried(
    certs: dict[str, tuple[Path, Path]],
) -> None:
    cert, key = certs["rsa"]  # RSA certificate, but only forward-secret suites allowed
    with servers.tls_server(cert, key) as port:
        verdict, message, facts = _transport(port, cert)
    assert verdict is ProbeVerdict.PASS, message
    assert facts["tls.legacy_accepted"] == "no"
    assert facts["tls.weak_cipher"] == "refused"


def test_an_openssl_that_cannot_offer_legacy_is_not_a_pass(
    certs: dict[str, tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlsvs.probes import tls

    def refuse(*args: object) -> ssl.SSLContext:
        raise ssl.SSLError("NO_PROTOCOLS_AVAILABLE: this build offers TLS 1.2+ only")

    monkeypatch.setattr(tls, "_offer", refuse)
    cert, key = certs["good"]
    with servers.tls_server(cert, key) as port:
        verdict, message, _ = _transport(port, cert)
    assert verdict is ProbeVerdict.NOT_VERIFIED
    assert message.startswith("not verified: this OpenSSL")
    assert "cannot offer TLS 1.0/1.1" in message
