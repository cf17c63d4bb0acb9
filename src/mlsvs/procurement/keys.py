"""Signing keys for evidence packages: PEM files through securesystemslib (no own crypto).

The supplier signs with a PEM private key (Ed25519, ECDSA or RSA; an encrypted key's password
comes from ``MLSVS_KEY_PASSWORD``); the buyer verifies with the supplier's PEM public key.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from pathlib import Path

    from securesystemslib.signer import CryptoSigner, SSlibKey

PASSWORD_ENV = "MLSVS_KEY_PASSWORD"  # noqa: S105 - the name of a variable, not a password


class KeyFileError(MlsvsError):
    """A key file is missing, unreadable or not a supported PEM key."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError("key file not found", path=str(path)) from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file: {exc.strerror or exc}", path=str(path)) from None


def _missing_library(exc: ImportError) -> KeyFileError:
    return KeyFileError(
        f"evidence signing needs securesystemslib[crypto] ({exc.name}): "
        "pip install 'mlsvs[procurement]'"
    )


def load_signer(path: Path) -> CryptoSigner:
    """A signer for a PEM private key file."""
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from securesystemslib.signer import CryptoSigner
    except ImportError as exc:
        raise _missing_library(exc) from None
    password = os.environ.get(PASSWORD_ENV)
    try:
        key = load_pem_private_key(_read(path), password.encode() if password else None)
    except TypeError:
        raise KeyFileError(
            f"the private key is encrypted: set {PASSWORD_ENV}", path=str(path)
        ) from None
    except ValueError as exc:
        raise KeyFileError(f"not a PEM private key ({exc})", path=str(path)) from None
    try:
        return CryptoSigner(key)
    except ValueError as exc:
        raise KeyFileError(f"unsupported key type: {exc}", path=str(path)) from None


def load_public_key(path: Path) -> SSlibKey:
    """The verification key for a PEM public key (or X.509 certificate) file."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        from securesystemslib.signer import SSlibKey
    except ImportError as exc:
        raise _missing_library(exc) from None
    data = _read(path)
    try:
        public = (
            x509.load_pem_x509_certificate(data).public_key()
            if b"BEGIN CERTIFICATE" in data
            else load_pem_public_key(data)
        )
        return SSlibKey.from_crypto(public)
    except ValueError as exc:
        raise KeyFileError(f"not a PEM public key ({exc})", path=str(path)) from None
