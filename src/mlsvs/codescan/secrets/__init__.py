"""Credential detection: vendor token shapes, private keys and generic assignments.

``find_secrets(text, *, source_kind)`` is the reusable core (the dataset PII scan calls it
with ``SourceKind.DATA``); ``scan_secrets_file`` adds notebooks, configs and safetensors
metadata. Hits carry masked evidence only.
"""

from __future__ import annotations

from mlsvs.codescan.secrets.files import LocatedSecret, SecretFileResult, scan_secrets_file
from mlsvs.codescan.secrets.find import SecretHit, SourceKind, find_secrets
from mlsvs.codescan.secrets.patterns import SecretKind, known_shape

__all__ = [
    "LocatedSecret",
    "SecretFileResult",
    "SecretHit",
    "SecretKind",
    "SourceKind",
    "find_secrets",
    "known_shape",
    "scan_secrets_file",
]
