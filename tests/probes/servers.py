"""Real servers for the probe tests, all on 127.0.0.1 free ports, all stopped after use."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
API_KEY = "probe-test-key-5b1f0e9d7c3a"
TEMPLATE = '{"features": [35, 52.0, 0.3, 4, 10]}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def start_example(name: str, port: int) -> subprocess.Popen[bytes]:
    """``python examples/<name>/serve.py --host 127.0.0.1 --port <port>`` as a subprocess."""
    env = {**os.environ, "MLSVS_EXAMPLE_API_KEY": API_KEY}
    return subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLES / name / "serve.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop_flag = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop_flag.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = listener.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop_flag.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


class _JsonHandler(http.server.BaseHTTPRequestHandler):
    server_version = "probe-test"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        return

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        # Echoes the request headers back, like a careless debug endpoint: the probe must
        # redact the credential from what it records.
        seen = {k: v for k, v in self.headers.items() if k.lower() == "authorization"}
        body = json.dumps({"label": "ok", "confidence": 0.9, "echo": seen}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _reply  # noqa: N815
    do_POST = _reply  # noqa: N815


def self_signed(tmp: Path, *, expired: bool = False, rsa: bool = False) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost (made with ``cryptography``);
    ``expired``: valid only in the past; ``rsa``: an RSA key (needed for RSA key exchange)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys
    from cryptography.x509.oid import NameOID

    key: ec.EllipticCurvePrivateKey | rsa_keys.RSAPrivateKey = (
        rsa_keys.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa
        else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(tz=dt.UTC) - (dt.timedelta(days=60) if expired else dt.timedelta())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    stem = f"{'expired-' if expired else ''}{'rsa-' if rsa else ''}"
    cert_path, key_path = tmp / f"{stem}cert.pem", tmp / f"{stem}key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # failed handshakes and cut-off requests are expected here


@contextlib.contextmanager
def tls_server(
    cert: Path,
    key: Path,
    *,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    maximum: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
) -> Iterator[int]:
    """A stdlib HTTPS server (TLS 1.2+ unless told otherwise) answering every request with
    200 JSON. ``minimum``/``maximum``/``ciphers`` build the weak variants (legacy protocols,
    weak suites); old versions need ``@SECLEVEL=0`` in ``ciphers`` on OpenSSL 3."""
    import warnings

    server = QuietServer(("127.0.0.1", 0), _JsonHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old versions on purpose
        context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    if ciphers is not None:
        context.set_ciphers(ciphers)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def ca_and_leaf(tmp: Path, *, expired: bool = False, rsa: bool = False) -> tuple[Path, Path, Path]:
    """(CA certificate, leaf certificate, leaf key): a private CA and a server certificate
    for 127.0.0.1 / localhost that it signed (RFC 5280 profile: the leaf is not a CA)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(tz=dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlsvs test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=90))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key: ec.EllipticCurvePrivateKey | rsa_keys.RSAPrivateKey = (
        rsa_keys.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa
        else ec.generate_private_key(ec.SECP256R1())
    )
    start = now - (dt.timedelta(days=60) if expired else dt.timedelta(days=1))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    stem = f"leaf-{'expired-' if expired else ''}{'rsa-' if rsa else ''}"
    ca_path, cert_path, key_path = (
        tmp / f"{stem}ca.pem",
        tmp / f"{stem}cert.pem",
        tmp / f"{stem}key.pem",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path
