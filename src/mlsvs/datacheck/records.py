"""Per-record hashes of a tabular file: chunk digests, a root, and a diff between two lists.

A record digest is the first 8 bytes (16 hex) of SHA-256 over the row's raw cells as canonical
JSON, so any byte change in a cell changes it. Records are grouped in chunks of
``CHUNK_ROWS``; a chunk digest is SHA-256 over its record digests and the root is SHA-256 over
the header digest and the chunk digests (a two-level hash tree). Verification returns at once
when every chunk digest matches; otherwise records are compared as sets (see ``diff_records``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.table import table_header_and_batches

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import TableSource

CHUNK_ROWS = 1024
EXAMPLES = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordHashes:
    """The record-level digests of one table."""

    header: str
    rows: int
    chunk_rows: int
    chunks: tuple[str, ...]
    root: str
    records: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDiff:
    """Which records changed (1-based data-row numbers, examples capped at ``EXAMPLES``)."""

    header_changed: bool
    changed: int
    added: int
    removed: int
    changed_rows: tuple[int, ...] = ()
    added_rows: tuple[int, ...] = ()
    removed_rows: tuple[int, ...] = ()
    reordered: bool = False
    """Same records, different order."""

    @property
    def clean(self) -> bool:
        """True when no record differs."""
        return not (
            self.header_changed or self.changed or self.added or self.removed or self.reordered
        )

    def describe(self) -> str:
        """One line, e.g. ``2 changed (rows 5, 9), 1 added (row 401)``."""
        parts: list[str] = []
        if self.header_changed:
            parts.append("header changed")
        for count, rows, what in (
            (self.changed, self.changed_rows, "changed"),
            (self.added, self.added_rows, "added"),
            (self.removed, self.removed_rows, "removed"),
        ):
            if count:
                shown = ", ".join(map(str, rows)) + (", ..." if count > len(rows) else "")
                parts.append(f"{count} {what} (row{'s' if count > 1 else ''} {shown})")
        if self.reordered:
            parts.append("same records in a different order")
        return "; ".join(parts) or "all records match"


def record_digest(cells: Sequence[str]) -> str:
    """16-hex digest of one row's raw cells."""
    canonical = json.dumps(list(cells), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _chunk_digest(records: Sequence[str]) -> str:
    return hashlib.sha256("".join(records).encode("ascii")).hexdigest()


def _root(header: str, chunks: Sequence[str]) -> str:
    return hashlib.sha256((header + "".join(chunks)).encode("ascii")).hexdigest()


def hash_records(
    source: TableSource, *, chunk_rows: int = CHUNK_ROWS, progress: Progress = silent
) -> RecordHashes:
    """Hash every record of ``source`` in one streaming pass."""
    header, batches = table_header_and_batches(source)
    header_digest = record_digest(header)
    records: list[str] = []
    for batch in batches:
        records.extend(record_digest(row) for row in batch.rows)
        progress(source.display, len(records), None)
    chunks = tuple(
        _chunk_digest(records[i : i + chunk_rows]) for i in range(0, len(records), chunk_rows)
    )
    return RecordHashes(
        header=header_digest,
        rows=len(records),
        chunk_rows=chunk_rows,
        chunks=chunks,
        root=_root(header_digest, chunks),
        records=tuple(records),
    )


def diff_records(expected: RecordHashes, actual: RecordHashes) -> RecordDiff:
    """Records of ``expected`` missing from ``actual`` (removed), new in ``actual`` (added), and
    positions where one record replaced another (changed); equal chunks are skipped."""
    header_changed = expected.header != actual.header
    if expected.chunk_rows == actual.chunk_rows and expected.chunks == actual.chunks:
        return RecordDiff(header_changed=header_changed, changed=0, added=0, removed=0)
    removed = _unmatched(expected.records, actual.records)
    added = _unmatched(actual.records, expected.records)
    both = set(removed) & set(added)
    changed = sorted(both)
    removed = [i for i in removed if i not in both]
    added = [i for i in added if i not in both]
    return RecordDiff(
        header_changed=header_changed,
        changed=len(changed),
        added=len(added),
        removed=len(removed),
        changed_rows=tuple(i + 1 for i in changed[:EXAMPLES]),
        added_rows=tuple(i + 1 for i in added[:EXAMPLES]),
        removed_rows=tuple(i + 1 for i in removed[:EXAMPLES]),
        reordered=not (changed or added or removed) and expected.records != actual.records,
    )


def _unmatched(records: Sequence[str], others: Sequence[str]) -> list[int]:
    """Indexes of ``records`` left over once each occurrence in ``others`` is matched once."""
    available = Counter(others)
    left: list[int] = []
    for index, record in enumerate(records):
        if available[record] > 0:
            available[record] -= 1
        else:
            left.append(index)
    return left
