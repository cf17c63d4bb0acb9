"""What a fleet scan works on: one ``Item`` per object, from any source."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@enum.unique
class SourceKind(enum.StrEnum):
    """Where an object lives (decides how a worker opens it)."""

    LOCAL = "local"
    S3 = "s3"
    HF = "hf"
    MLFLOW = "mlflow"


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One object to scan.

    ``fingerprint`` is the cheap identity of the content (see docs/fleet.md): a local file's
    SHA-256, an S3 object's version id, ETag and size, a Hub file's LFS SHA-256 or git blob id,
    an MLflow artifact's run, path and size. With the scanner and policy versions it keys the
    result cache, so an unchanged object is never read again.
    """

    kind: SourceKind
    source: str
    """The SOURCE argument it was listed from (results are partitioned and counted by it)."""
    uri: str
    """Stable display name: a path, ``s3://bucket/key``, ``hf://repo@rev/path`` ..."""
    size: int
    fingerprint: str
    locator: tuple[tuple[str, str], ...] = ()
    """How to open it (path, bucket/key/version, endpoint, repo/revision/path, URL)."""

    def get(self, name: str) -> str:
        """One locator field ('' when absent)."""
        return dict(self.locator).get(name, "")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingError:
    """A source (or part of one) that could not be listed: reported, never skipped silently."""

    source: str
    uri: str
    message: str
