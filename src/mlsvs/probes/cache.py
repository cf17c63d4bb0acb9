"""Run the probes once per endpoint per run, however many checks read the results.

The checks of one run share a ``Project`` object, so the cache keys on its identity (plus the
endpoint, the settings and a digest of the credential). An entry keeps its project alive, so an
identity is never reused while its entry exists; the cache holds a few entries at most.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from mlsvs.probes.types import ProbeReport


class _Entry:
    __slots__ = ("lock", "owner", "report")

    def __init__(self, owner: object) -> None:
        self.lock = threading.Lock()
        self.owner = owner
        self.report: ProbeReport | None = None


class ProbeCache:
    """A small, thread-safe, bounded cache; concurrent callers of one key wait for one probe."""

    def __init__(self, max_entries: int = 16) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._max = max_entries

    def get(self, owner: object, key: Hashable, compute: Callable[[], ProbeReport]) -> ProbeReport:
        """The report for ``(owner, key)``, computing it once. Failures are not cached."""
        full_key = (id(owner), key)
        with self._lock:
            entry = self._entries.get(full_key)
            if entry is None or entry.owner is not owner:
                entry = _Entry(owner)
                self._entries[full_key] = entry
            self._entries.move_to_end(full_key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        with entry.lock:
            if entry.report is None:
                entry.report = compute()
            return entry.report

    def clear(self) -> None:
        """Forget every report."""
        with self._lock:
            self._entries.clear()


def credential_digest(credential: str | None) -> str:
    """A digest that distinguishes credentials in a cache key without holding them."""
    if credential is None:
        return ""
    return hashlib.sha256(credential.encode()).hexdigest()[:16]


SHARED = ProbeCache()
"""The cache the built-in checks share within a process."""
