"""The content-addressed result cache: one SQLite file beside the results.

``results`` maps a cache key (content fingerprint + scanner version + policy version) to a scan
report; ``digests`` maps a local file's stat key to its content fingerprint, so an unchanged
file is neither hashed nor scanned again. Writes are ``INSERT OR REPLACE`` of deterministic
rows in one transaction per finished task: a retried task (lost worker) or a resumed run writes
the same rows again, so nothing is lost or duplicated.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from mlsvs.fleet.work import Outcome

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY, report TEXT NOT NULL, fetched INTEGER NOT NULL,
    seconds REAL NOT NULL, worker TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digests (stat TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
"""
_CHUNK = 500


class ResultCache:
    """SQLite-backed; used by the driver only (workers return results, they never write)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def reports(self, keys: Iterable[str]) -> dict[str, tuple[str, int]]:
        """``key -> (report JSON, bytes fetched when it was scanned)`` for the keys present."""
        found: dict[str, tuple[str, int]] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, report, fetched FROM results WHERE key IN ({marks})",  # noqa: S608 - placeholders only
                part,
            )
            found.update({k: (r, f) for k, r, f in rows})
        return found

    def store(self, outcomes: Sequence[Outcome]) -> int:
        """Record the cacheable outcomes of one task atomically; returns how many."""
        rows = [(o.key, o.report, o.fetched, o.seconds, o.worker) for o in outcomes if o.cacheable]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def digests(self, stats: Iterable[str]) -> dict[str, str]:
        """Known content fingerprints of local stat keys."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(stats))
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT stat, fingerprint FROM digests WHERE stat IN ({marks})",  # noqa: S608 - placeholders only
                part,
            )
            found.update(dict(rows))
        return found

    def store_digests(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Remember fingerprints (volatile ones, of unreadable paths, are not kept)."""
        rows = [(s, f) for s, f in pairs if not f.startswith("volatile:")]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?)", rows)

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
