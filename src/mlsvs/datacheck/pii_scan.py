"""Scan a tabular file for personal data and secrets, streaming, with masked evidence only.

Cells of columns whose names carry no hint are joined per row and scanned with one combined
regex; hinted columns (``email``, ``phone``, ``ssn`` ...) are scanned cell by cell so the hint
can raise confidence and admit bare digit runs as phone numbers/SSNs. Columns named like a
person's name, a postal address or a date of birth count their non-empty cells (no value
pattern can recognise those). Secrets use ``mlsvs.codescan``'s ``find_secrets`` with
``SourceKind.DATA`` on cells that contain a long token.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.datacheck.pii import HINT_ONLY, Confidence, Entity, column_hints, find_pii, mask
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.table import table_header_and_batches

if TYPE_CHECKING:
    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import Row, TableSource

SAMPLES = 3
_SEP = "\x1f"
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}|-----BEGIN")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnHit:
    """Every value of one entity type found in one column."""

    column: str
    entity: Entity
    count: int
    """Values found (a cell may hold several)."""
    confidence: Confidence
    """The highest confidence among them."""
    samples: tuple[str, ...]
    """Up to three masked values."""
    rows: tuple[int, ...]
    """Up to three 1-based data-row numbers."""
    rule: str = ""
    """The codescan rule ID for API keys, empty otherwise."""

    @property
    def name(self) -> str:
        """``column:entity``, the form used in ``pii_allow``-style references."""
        return f"{self.column}:{self.entity.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PiiReport:
    """What one file holds."""

    path: str
    rows: int
    rows_with_pii: int
    hits: tuple[ColumnHit, ...]

    def by_entity(self) -> dict[str, int]:
        """Total values per entity type."""
        totals: dict[str, int] = {}
        for hit in self.hits:
            totals[hit.entity.value] = totals.get(hit.entity.value, 0) + hit.count
        return dict(sorted(totals.items()))


@dataclass(slots=True)
class _Acc:
    count: int = 0
    confidence: Confidence = Confidence.LOW
    samples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    rule: str = ""

    def add(self, confidence: Confidence, sample: str, row: int, rule: str = "") -> None:
        self.count += 1
        self.confidence = max(self.confidence, confidence)
        self.rule = self.rule or rule
        if len(self.samples) < SAMPLES and sample not in self.samples:
            self.samples.append(sample)
        if len(self.rows) < SAMPLES and row not in self.rows:
            self.rows.append(row)


def scan_pii(source: TableSource, *, max_rows: int = 0, progress: Progress = silent) -> PiiReport:
    """Scan every row (or the first ``max_rows`` when > 0) of ``source``."""
    header, batches = table_header_and_batches(source)
    hints = [column_hints(c) for c in header]
    plain = [i for i, h in enumerate(hints) if not h]
    hinted = [i for i, h in enumerate(hints) if h - HINT_ONLY]
    hint_only = [(i, e) for i, h in enumerate(hints) for e in sorted(h & HINT_ONLY)]
    acc: dict[tuple[int, Entity], _Acc] = {}
    rows = with_pii = 0
    for batch in batches:
        for offset, row in enumerate(batch.rows):
            number = batch.start + offset + 1
            if max_rows and number > max_rows:
                break
            rows += 1
            found = _scan_row(row, plain, hinted, hints, number, acc)
            for index, entity in hint_only:
                if _hint_value(row[index], entity):
                    acc.setdefault((index, entity), _Acc()).add(
                        Confidence.MEDIUM, mask(row[index], entity), number
                    )
                    found = True
            with_pii += found
        progress(source.display, rows, None)
        if max_rows and rows >= max_rows:
            break
    hits = tuple(
        ColumnHit(
            column=header[index],
            entity=entity,
            count=a.count,
            confidence=a.confidence,
            samples=tuple(a.samples),
            rows=tuple(a.rows),
            rule=a.rule,
        )
        for (index, entity), a in sorted(acc.items(), key=lambda kv: (kv[0][0], kv[0][1].value))
    )
    return PiiReport(path=source.display, rows=rows, rows_with_pii=with_pii, hits=hits)


def _hint_value(value: str, entity: Entity) -> bool:
    text = value.strip()
    if not text:
        return False
    if entity is Entity.DATE_OF_BIRTH:
        return bool(re.search(r"\d", text))
    return bool(_LETTER.search(text))


def _scan_row(
    row: Row,
    plain: list[int],
    hinted: list[int],
    hints: list[frozenset[Entity]],
    number: int,
    acc: dict[tuple[int, Entity], _Acc],
) -> bool:
    found = False
    if plain:
        cells = [row[i] for i in plain]
        text = _SEP.join(cells)
        starts: list[int] = []
        position = 0
        for cell in cells:
            starts.append(position)
            position += len(cell) + 1
        for match in find_pii(text):
            slot = bisect.bisect_right(starts, match.start) - 1
            value = text[match.start : match.end]
            acc.setdefault((plain[slot], match.entity), _Acc()).add(
                match.confidence, mask(value, match.entity), number
            )
            found = True
        if _TOKENISH.search(text):
            found |= _secrets(row, plain, number, acc)
    for index in hinted:
        cell = row[index]
        for match in find_pii(cell, hints[index]):
            value = cell[match.start : match.end]
            acc.setdefault((index, match.entity), _Acc()).add(
                match.confidence, mask(value, match.entity), number
            )
            found = True
        if _TOKENISH.search(cell):
            found |= _secrets(row, [index], number, acc)
    return found


def _secrets(
    row: Row, indexes: list[int], number: int, acc: dict[tuple[int, Entity], _Acc]
) -> bool:
    from mlsvs.codescan.secrets import SourceKind, find_secrets

    found = False
    for index in indexes:
        cell = row[index]
        if not _TOKENISH.search(cell):
            continue
        for hit in find_secrets(cell, source_kind=SourceKind.DATA):
            acc.setdefault((index, Entity.API_KEY), _Acc()).add(
                Confidence.HIGH, hit.masked, number, hit.rule
            )
            found = True
    return found
