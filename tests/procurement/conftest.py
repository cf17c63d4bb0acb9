"""Shared fixtures: real signing keys, and one `mlsvs verify` run of the hardened example."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path


def _keypair(directory: Path, name: str, kind: str) -> KeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    key = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    private = directory / f"{name}.pem"
    public = directory / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(private=private, public=public)


@pytest.fixture(scope="session")
def supplier_key(tmp_path_factory) -> KeyPair:
    """The supplier's Ed25519 key pair (registered with the buyer)."""
    return _keypair(tmp_path_factory.mktemp("keys"), "supplier", "ed25519")


@pytest.fixture(scope="session")
def other_key(tmp_path_factory) -> KeyPair:
    """Somebody else's ECDSA P-256 key pair."""
    return _keypair(tmp_path_factory.mktemp("other-keys"), "other", "ecdsa")


@dataclass(frozen=True)
class Verified:
    project: Path
    results: Path

    @property
    def data(self) -> dict:
        return json.loads(self.results.read_text("utf-8"))


@pytest.fixture(scope="session")
def hardened(tmp_path_factory) -> Verified:
    """`mlsvs verify` of examples/hardened-classifier at L1, its server on loopback (~40 s)."""
    from tests.integration.servers import free_port, running
    from tests.integration.test_examples import _advisory_cache, _copy, _verify, blocking_l1

    tmp = tmp_path_factory.mktemp("hardened")
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as patch:
        _advisory_cache(tmp, patch)
        port = free_port()
        project = _copy("hardened-classifier", tmp, port)
        with running(project, port):
            result = _verify(project, out, "--allow", "network,model-exec")
    why = blocking_l1(out) if (out / "results.json").is_file() else result.stderr[-2000:]
    assert result.returncode == 0, (why, result.stdout[-3000:])
    return Verified(project=project, results=out / "results.json")
