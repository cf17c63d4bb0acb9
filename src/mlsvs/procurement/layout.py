"""The evidence package layout and the signed predicate's vocabulary.

A package is a ZIP file (or a directory with the same layout)::

    envelope.dsse.json        DSSE envelope; payload: an in-toto Statement v1
    blobs/sha256/<hex>        every file the statement names, addressed by its SHA-256
    sigstore.bundle.json      (optional) Sigstore bundle over the same statement

The statement's subjects are the delivered model and dataset files (name = path relative to
the delivered directory, digest sha256). Its predicate (type ``PREDICATE_TYPE``) is the MLSVS
assessment: the results file by digest, the standard, the levels, and every attestation,
evidence file, ML-BOM and model signature by path and digest.
"""

from __future__ import annotations

import re

ENVELOPE = "envelope.dsse.json"
SIGSTORE_BUNDLE = "sigstore.bundle.json"
BLOBS = "blobs/sha256/"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://owasp.org/mlsvs/evidence-package/v1"
PACKAGE_VERSION = "1.0"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_BLOB = 256 * 1024 * 1024
"""Largest file a package may hold (evidence, not models: models are subjects)."""
MAX_PACKAGE = 1024 * 1024 * 1024
"""Largest total size of a package's members."""
MAX_MEMBERS = 100_000


def blob_name(digest: str) -> str:
    """The member name of a blob."""
    return f"{BLOBS}{digest}"


def safe_relative(path: str) -> bool:
    """Whether ``path`` is a plain relative POSIX path that stays inside its root."""
    if (
        not path
        or path.startswith(("/", "\\"))
        or "\\" in path
        or ":" in path.split("/", maxsplit=1)[0]
    ):
        return False
    parts = path.split("/")
    return all(p not in {"", ".", ".."} for p in parts)
