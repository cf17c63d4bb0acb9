"""Errors raised by the supply-chain helpers (all ``MlsvsError``: one line, exit 2)."""

from __future__ import annotations

from mlsvs.errors import MlsvsError


class SupplyError(MlsvsError):
    """Base class of the supply-chain errors."""


class ManifestError(SupplyError):
    """A requirements file, pyproject.toml, lock file or environment file is malformed."""


class BomError(SupplyError):
    """A CycloneDX BOM is malformed or cannot be built."""


class SignatureError(SupplyError):
    """A signature cannot be created or read (not: the signature is invalid)."""


class AdvisoryError(SupplyError):
    """An advisory database or scanner report is malformed or missing."""


class HashManifestError(SupplyError):
    """A SHA256SUMS-style manifest is malformed."""
