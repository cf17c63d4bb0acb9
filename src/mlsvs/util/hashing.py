"""File digests at hashlib speed, cached per (path, size, mtime) within a process."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_CACHE: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file; repeated calls on an unchanged file cost one ``stat``."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    with _LOCK:
        _CACHE[key] = digest
    return digest


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
