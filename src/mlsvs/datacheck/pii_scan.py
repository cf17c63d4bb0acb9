"""Scan a tabular file for personal data and secrets, with per-column decisions and evidence.

Reading: with pyarrow (CSV/TSV/Parquet/Arrow) each column of a record batch is pre-filtered
in C++ (RE2) by a pattern that matches every cell the Python detectors could match (the
candidate regex without its look-arounds, Unicode classes widened), so Python only looks at
candidate cells; without pyarrow, or for JSONL, every cell is scanned row by row. Both paths
give the same result.

Cells: ``pii.find_candidates`` finds entity-shaped values and validates them (Luhn, mod-97,
ranges, digit counts); column names raise confidence (``email``, ``phone``, ``ssn`` ...) and
admit bare digit runs. Columns named like a person's name, a postal address or a date of birth
count their non-empty cells. Secrets use ``mlsvs.codescan``'s ``find_secrets``.

Parts: ``scan_pii_part`` scans a run of a Parquet file's row groups and ``merge_parts`` joins
the parts, in file order, into exactly the report of one pass (``fleet.data`` runs the parts on
Ray). Everything a part keeps is either a sum or the beginning of its own sequence (first samples,
first distinct values, first and last number of a column), except the phone checks: the first
``PHONE_CHECKS`` phone-shaped values of a *file* are checked, so a part keeps its first ones
undecided (with their verdicts) and the merge replays them against the budget left.

Columns: before a value shape becomes a finding, the whole column is judged
(``decide``) from its name, how many of its shaped values validate and how its values are
distributed, so an ``order_id`` column of ``976-987-4168``-style numbers is not "phones in every
row" while a ``phone`` column of the same shapes is. Dismissed columns are reported with the
evidence (``ColumnDecision``).
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.datacheck.columns import id_named
from mlsvs.datacheck.pii import (
    _CANDIDATES,
    HINT_ONLY,
    Confidence,
    Entity,
    Match,
    column_hints,
    find_candidates,
    mask,
)
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.validators import phone_number_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from mlsvs.datacheck.columnar import ColumnBatch
    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.table import TableSource

SAMPLES = 3
PHONE_CHECKS = 2000
"""Phone-shaped values per column validated against libphonenumber's metadata (bounded cost)."""
MIN_SHAPES = 20
"""A column with fewer shaped values is never dismissed as coincidence (fail closed)."""
PHONE_VALID_SHARE = 0.8
"""In a real phone column nearly every number is valid; random digit groups of the same shape
are valid about 36 % of the time (measured on 5,000 random ``ddd-ddd-dddd``)."""
_DISTINCT_CAP = 200_000
_NON_DIGITS = re.compile(r"\D")
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}|-----BEGIN")
_LETTER = re.compile(r"[^\W\d_]")
_IDENTIFIER_WORDS = re.compile(
    r"(^|[_\-\s.])(id|ids|no|nr|num|number|ref|reference|code|sku|serial|order|invoice|ticket|"
    r"tracking|barcode|isbn|ean|upc|hash|checksum|uuid|guid|key|batch|lot|version)($|[_\-\s.])"
)
_CHANCE = {Entity.CREDIT_CARD: 0.1, Entity.IBAN: 1 / 97, Entity.ES_DNI: 1 / 23}
"""Probability that a random value of the entity's shape passes its checksum."""


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
    reason: str = ""
    """Why the column counts (name hint, validated values ...)."""

    @property
    def name(self) -> str:
        """``column:entity``, the form used in ``pii_allow``-style references."""
        return f"{self.column}:{self.entity.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dismissed:
    """Entity-shaped values in a column that the column-level evidence rules out."""

    column: str
    entity: Entity
    shaped: int
    reason: str

    @property
    def name(self) -> str:
        """``column:entity``."""
        return f"{self.column}:{self.entity.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PiiReport:
    """What one file holds."""

    path: str
    rows: int
    rows_with_pii: int
    hits: tuple[ColumnHit, ...]
    dismissed: tuple[Dismissed, ...] = ()
    engine: str = "python"
    """``arrow`` (vectorised pre-filter) or ``python`` (row by row)."""

    def by_entity(self) -> dict[str, int]:
        """Total values per entity type."""
        totals: dict[str, int] = {}
        for hit in self.hits:
            totals[hit.entity.value] = totals.get(hit.entity.value, 0) + hit.count
        return dict(sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class _Phone:
    """An unhinted phone-shaped value among a part's first ``PHONE_CHECKS``: whether it is
    checked depends on the phone-shaped values of the parts before it (``_Acc.replay``)."""

    rejected: bool
    """libphonenumber says it is not a number."""
    valid: bool
    confidence: Confidence
    sample: str
    row: int


@dataclass(slots=True)
class _Acc:
    count: int = 0
    valid: int = 0
    shaped: int = 0
    confidence: Confidence = Confidence.LOW
    samples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    hit_rows: array[int] = field(default_factory=lambda: array("q"))
    rule: str = ""
    phone_checked: int = 0
    phone_valid: int = 0
    phones: list[_Phone] = field(default_factory=list)
    """A part's undecided first phone-shaped values (``_Scan(part=True)`` only)."""

    def check(self, rejected: bool) -> bool:
        """Count one phone check; whether the value is kept."""
        self.phone_checked += 1
        self.phone_valid += not rejected
        return not rejected

    def replay(self, phone: _Phone) -> None:
        """What the single pass does with ``phone`` at this point of the file."""
        self.shaped += 1
        if self.phone_checked < PHONE_CHECKS and not self.check(phone.rejected):
            return
        if phone.valid:
            self.valid += 1
            self.add(phone.confidence, phone.sample, phone.row)

    def merge(self, other: _Acc) -> None:
        """Continue with the values ``other`` (the next part's) saw, in their order."""
        for phone in other.phones:
            self.replay(phone)
        self.count += other.count
        self.valid += other.valid
        self.shaped += other.shaped
        if other.count:
            self.confidence = max(self.confidence, other.confidence)
        self.rule = self.rule or other.rule
        # First distinct values: the other part's first ones are enough (at most SAMPLES of
        # them can already be here).
        for sample in other.samples:
            if len(self.samples) < SAMPLES and sample not in self.samples:
                self.samples.append(sample)
        for row in other.rows:
            if len(self.rows) < SAMPLES and row not in self.rows:
                self.rows.append(row)
        rows = other.hit_rows
        skip = bool(rows) and bool(self.hit_rows) and self.hit_rows[-1] == rows[0]
        self.hit_rows.extend(rows[1:] if skip else rows)
        self.phone_checked += other.phone_checked
        self.phone_valid += other.phone_valid

    def add(self, confidence: Confidence, sample: str, row: int, rule: str = "") -> None:
        self.count += 1
        self.confidence = max(self.confidence, confidence)
        self.rule = self.rule or rule
        if len(self.samples) < SAMPLES and sample not in self.samples:
            self.samples.append(sample)
        if len(self.rows) < SAMPLES and row not in self.rows:
            self.rows.append(row)
        if not self.hit_rows or self.hit_rows[-1] != row:
            self.hit_rows.append(row)


@dataclass(slots=True)
class _Column:
    """Distribution evidence of one column's entity-shaped cells."""

    filled: int = 0
    whole: int = 0
    """Cells that are exactly one shaped value."""
    distinct: set[int] = field(default_factory=set)
    increasing: int = 0
    previous: int | None = None
    first: int | None = None
    """The first number (``previous`` is the last)."""
    seen: list[int] = field(default_factory=list)
    """``distinct`` in first-seen order (``_Scan(part=True)`` only)."""

    def merge(self, other: _Column) -> None:
        """Continue with the cells ``other`` (the next part's) saw."""
        self.filled += other.filled
        self.whole += other.whole
        for key in other.seen:
            if len(self.distinct) >= _DISTINCT_CAP:
                break
            self.distinct.add(key)
        self.increasing += other.increasing
        if self.previous is not None and other.first is not None:
            self.increasing += other.first > self.previous
        if other.previous is not None:
            self.previous = other.previous
        if self.first is None:
            self.first = other.first


def _distinct_key(text: str) -> int:
    """A process-independent key (``hash`` differs per process; parts come from several)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass(frozen=True, slots=True)
class _Cell:
    """What ``_Scan.cell`` derives from a cell's text alone (a pure function of the text and
    the column's hints), so a batch computes it once per distinct text."""

    candidates: list[Match]
    whole: bool
    """Exactly one shaped value spanning the stripped cell."""
    digits: str
    key: int
    tokenish: bool

    @staticmethod
    def of(text: str, hints: frozenset[Entity]) -> _Cell:
        candidates = find_candidates(text, hints)
        stripped = text.strip()
        whole = len(candidates) == 1 and candidates[0].end - candidates[0].start == len(stripped)
        return _Cell(
            candidates=candidates,
            whole=whole,
            digits=_NON_DIGITS.sub("", text) if whole else "",
            key=_distinct_key(stripped) if whole else 0,
            tokenish=_TOKENISH.search(text) is not None,
        )


@dataclass(frozen=True, slots=True)
class PiiPart:
    """What a run of a file's rows holds, in the form ``merge_parts`` joins exactly."""

    header: tuple[str, ...]
    rows: int
    acc: dict[tuple[int, Entity], _Acc]
    columns: tuple[_Column, ...]


class _Scan:
    """Accumulates cell results; ``report`` applies the column decisions."""

    def __init__(self, header: tuple[str, ...], *, part: bool = False) -> None:
        self.header = header
        self.part = part
        self.hints = [column_hints(c) for c in header]
        self.acc: dict[tuple[int, Entity], _Acc] = {}
        self.columns = [_Column() for _ in header]
        self.rows = 0

    def cell(self, index: int, number: int, text: str, cached: _Cell | None = None) -> None:
        """One cell; ``cached`` is what ``_Cell.of`` gives for this text (a batch's repeats)."""
        hints = self.hints[index]
        c = _Cell.of(text, hints) if cached is None else cached
        candidates = c.candidates
        stats = self.columns[index]
        if c.whole:
            stats.whole += 1
            digits = c.digits
            if len(stats.distinct) < _DISTINCT_CAP:
                key = c.key
                if self.part and key not in stats.distinct:
                    stats.seen.append(key)
                stats.distinct.add(key)
            if digits:
                current = int(digits[:18])
                if stats.previous is None:
                    stats.first = current
                stats.increasing += stats.previous is not None and current > stats.previous
                stats.previous = current
        for match in candidates:
            value = text[match.start : match.end]
            acc = self.acc.setdefault((index, match.entity), _Acc())
            unhinted_phone = match.entity is Entity.PHONE and Entity.PHONE not in hints
            if self.part and unhinted_phone and len(acc.phones) < PHONE_CHECKS:
                rejected = phone_number_valid(value) is False
                sample = mask(value, match.entity)
                acc.phones.append(_Phone(rejected, match.valid, match.confidence, sample, number))
                continue
            acc.shaped += 1
            checked = unhinted_phone and not self.part and acc.phone_checked < PHONE_CHECKS
            if checked and not acc.check(phone_number_valid(value) is False):
                continue
            if not match.valid:
                continue
            acc.valid += 1
            # The masked sample is only read while fewer than SAMPLES are kept.
            sample = mask(value, match.entity) if len(acc.samples) < SAMPLES else ""
            acc.add(match.confidence, sample, number)
        if c.tokenish:
            self.secrets(index, number, text)

    def secrets(self, index: int, number: int, text: str) -> None:
        from mlsvs.codescan.secrets import SourceKind, find_secrets

        for hit in find_secrets(text, source_kind=SourceKind.DATA):
            acc = self.acc.setdefault((index, Entity.API_KEY), _Acc())
            acc.shaped += 1
            acc.valid += 1
            acc.add(Confidence.HIGH, hit.masked, number, hit.rule)

    def hint_only(self, index: int, entity: Entity, number: int, text: str) -> None:
        acc = self.acc.setdefault((index, entity), _Acc())
        acc.add(Confidence.MEDIUM, mask(text, entity) if len(acc.samples) < SAMPLES else "", number)

    def report(self, path: str, engine: str) -> PiiReport:
        hits: list[ColumnHit] = []
        dismissed: list[Dismissed] = []
        counted: set[int] = set()
        for (index, entity), acc in sorted(self.acc.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            column = self.header[index]
            keep, reason = decide(column, self.hints[index], entity, acc, self.columns[index])
            if not keep:
                dismissed.append(
                    Dismissed(column=column, entity=entity, shaped=acc.shaped, reason=reason)
                )
                continue
            if not acc.count:
                continue
            counted.update(acc.hit_rows)
            hits.append(
                ColumnHit(
                    column=column, entity=entity, count=acc.count, confidence=acc.confidence,
                    samples=tuple(acc.samples), rows=tuple(acc.rows), rule=acc.rule,
                    reason=reason,
                )
            )  # fmt: skip
        return PiiReport(
            path=path, rows=self.rows, rows_with_pii=len(counted), hits=tuple(hits),
            dismissed=tuple(dismissed), engine=engine,
        )  # fmt: skip


def identifier_column(name: str) -> bool:
    """Named like an identifier or reference number (``order_id``, ``invoice_no``, ``sku``)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", name.strip()).lower()
    return id_named(name) or bool(_IDENTIFIER_WORDS.search(spaced))


def _binomial_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p) (log-space sum, exact)."""
    if successes <= 0:
        return 1.0
    logs = [
        math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
        + k * math.log(p) + (trials - k) * math.log1p(-p)
        for k in range(successes, trials + 1)
    ]  # fmt: skip
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def decide(
    column: str, hints: frozenset[Entity], entity: Entity, acc: _Acc, stats: _Column
) -> tuple[bool, str]:
    """Whether a column's ``entity`` values are personal data, and the evidence."""
    if entity in hints:
        return True, f"column name {column!r}"
    if entity in HINT_ONLY or entity is Entity.API_KEY:
        return True, "validated" if entity is Entity.API_KEY else f"column name {column!r}"
    unique = len(stats.distinct) / stats.whole if stats.whole else 0.0
    sequential = stats.increasing / max(stats.whole - 1, 1) if stats.whole else 0.0
    shape = (
        f"{acc.shaped} {entity.value}-shaped value(s), {acc.valid} valid, "
        f"{stats.whole} whole cells, {unique:.0%} distinct, {sequential:.0%} ascending"
    )
    if entity in _CHANCE and acc.shaped >= MIN_SHAPES:
        p_value = _binomial_tail(acc.valid, acc.shaped, _CHANCE[entity])
        if p_value > 1e-3:
            return False, (
                f"{shape}: no more checksum-valid values than chance ({_CHANCE[entity]:.3g}); "
                "coincidental digit runs"
            )
    if entity in {Entity.PHONE, Entity.US_SSN, Entity.UK_NINO, Entity.ES_DNI}:
        if identifier_column(column):
            return False, f"{shape}: identifier column {column!r}, not {entity.value} numbers"
        whole_column = stats.whole >= MIN_SHAPES and stats.whole >= 0.9 * max(acc.shaped, 1)
        if whole_column and sequential >= 0.95:
            return False, f"{shape}: ascending sequence, an identifier"
    if entity is Entity.PHONE and acc.phone_checked >= MIN_SHAPES:
        share = acc.phone_valid / acc.phone_checked
        if share < PHONE_VALID_SHARE:
            return False, (
                f"{shape}: only {share:.0%} of {acc.phone_checked} checked are numbers "
                "libphonenumber knows (random digit groups: ~36 %); not a phone column"
            )
    return True, f"{acc.valid} validated value(s)"


# -- reading ---------------------------------------------------------------------------------

_LOOKAROUND = re.compile(r"\(\?<?[!=][^()]*\)")


def _re2(pattern: str) -> str:
    """``pattern`` without look-arounds and with Unicode-wide classes: matches a superset."""
    out = _LOOKAROUND.sub("", pattern)
    out = out.replace(r"[^\W_]", r"[\pL\pN]")
    out = re.sub(r"\[([^\]]*)\]", lambda m: "[" + _widen(m.group(1), True) + "]", out)
    parts = re.split(r"(\[[^\]]*\])", out)
    return "".join(p if p.startswith("[") else _widen(p, False) for p in parts)


def _widen(text: str, inside: bool) -> str:
    word, digit = (r"\pL\pN_", r"\pN") if inside else (r"[\pL\pN_]", r"\pN")
    return text.replace(r"\w", word).replace(r"\d", digit)


_SECRETS = "|" + _TOKENISH.pattern.replace("{20,}", "{20}")
PREFILTER_ASCII = _LOOKAROUND.sub("", _CANDIDATES.pattern) + _SECRETS
r"""For ASCII cells: RE2's ASCII ``\w``/``\d`` are Python's there; fast (DFA)."""
PREFILTER = _re2(_CANDIDATES.pattern) + _SECRETS
"""For cells with non-ASCII text: Unicode classes (RE2 runs this one ~200x slower)."""


def scan_pii(source: TableSource, *, max_rows: int = 0, progress: Progress = silent) -> PiiReport:
    """Scan every row (or the first ``max_rows`` when > 0) of ``source``."""
    from mlsvs.datacheck import columnar

    if columnar.available(source):
        return _scan_columnar(source, max_rows, progress)
    return _scan_rows(source, max_rows, progress)


def _scan_rows(source: TableSource, max_rows: int, progress: Progress) -> PiiReport:
    from mlsvs.datacheck.table import table_header_and_batches

    header, batches = table_header_and_batches(source)
    scan = _Scan(header)
    hint_only = [(i, e) for i, h in enumerate(scan.hints) for e in sorted(h & HINT_ONLY)]
    done = False
    for batch in batches:
        for offset, row in enumerate(batch.rows):
            number = batch.start + offset + 1
            if max_rows and number > max_rows:
                done = True
                break
            scan.rows += 1
            for index, cell in enumerate(row):
                if cell.strip():
                    scan.columns[index].filled += 1
                    scan.cell(index, number, cell)
            for index, entity in hint_only:
                if _hint_value(row[index], entity):
                    scan.hint_only(index, entity, number, row[index])
        progress(source.display, scan.rows, None)
        if done:
            break
    return scan.report(source.display, "python")


def scan_pii_part(
    source: TableSource, *, row_groups: Sequence[int], start: int, max_rows: int = 0
) -> PiiPart:
    """``scan_pii`` of the Parquet row groups ``row_groups`` (consecutive, their first row is
    the file's row ``start``, 0-based), to be joined with the other parts by ``merge_parts``."""
    from mlsvs.datacheck.columnar import parquet_batches
    from mlsvs.datacheck.table import read_header

    scan = _Scan(read_header(source), part=True)
    _scan_batches(scan, _limited(parquet_batches(source, row_groups, start), max_rows))
    return PiiPart(header=scan.header, rows=scan.rows, acc=scan.acc, columns=tuple(scan.columns))


def merge_parts(display: str, parts: Sequence[PiiPart]) -> PiiReport:
    """The report of one pass over the file whose parts, in file order, are ``parts``."""
    return _merge(parts).report(display, "arrow")


def _merge(parts: Sequence[PiiPart]) -> _Scan:
    scan = _Scan(parts[0].header)
    for part in parts:
        scan.rows += part.rows
        for key, acc in part.acc.items():
            scan.acc.setdefault(key, _Acc()).merge(acc)
        for mine, theirs in zip(scan.columns, part.columns, strict=True):
            mine.merge(theirs)
    return scan


def _scan_columnar(source: TableSource, max_rows: int, progress: Progress) -> PiiReport:
    from mlsvs.datacheck.columnar import column_batches

    header, batches = column_batches(source)
    scan = _Scan(header)
    _scan_batches(scan, _limited(batches, max_rows), progress, source.display)
    return scan.report(source.display, "arrow")


def _scan_batches(
    scan: _Scan, batches: Iterator[ColumnBatch], progress: Progress = silent, display: str = ""
) -> None:
    import pyarrow.compute as pc

    for batch in batches:
        scan.rows += batch.rows
        for index, cells in enumerate(batch.columns):
            hints = scan.hints[index]
            plain = _plain_numbers(cells)
            filled = pc.or_(plain, _where(cells, plain, lambda c: _match(c, r"\S")))
            scan.columns[index].filled += pc.sum(filled).as_py() or 0
            wanted = filled if hints - HINT_ONLY else _where(cells, plain, _prefilter)
            positions = pc.indices_nonzero(wanted).to_pylist()
            values = pc.take(cells, positions).to_pylist() if positions else []
            cache: dict[str, _Cell] = {}
            for position, value in zip(positions, values, strict=True):
                found = cache.get(value)
                if found is None:
                    found = cache[value] = _Cell.of(value, hints)
                scan.cell(index, batch.start + position + 1, value, found)
            for entity in sorted(hints & HINT_ONLY):
                probe = r"\p{Nd}" if entity is Entity.DATE_OF_BIRTH else r"[\pL\p{Nl}\p{No}]"
                marks = pc.indices_nonzero(pc.match_substring_regex(cells, probe)).to_pylist()
                texts = pc.take(cells, marks).to_pylist() if marks else []
                for position, value in zip(marks, texts, strict=True):
                    scan.hint_only(index, entity, batch.start + position + 1, value)
        progress(display, scan.rows, None)


def _match(cells: object, pattern: str) -> object:
    import pyarrow.compute as pc

    return pc.fill_null(pc.match_substring_regex(cells, pattern), False)


def _plain_numbers(cells: object) -> object:
    """Cells of 1-6 ASCII digits and dots (``26.16``, ``0.5``, ``12``): no detector's shape.

    Every candidate needs an ``@``, a letter, a ``+``, ``(``, ``:`` or at least seven characters
    (an IPv4 address ``1.1.1.1``; the digit-only shapes need more), and a secret twenty, so such
    cells skip the regex passes (length and character kernels instead). They are non-blank.
    """
    import pyarrow.compute as pc

    short = pc.less_equal(pc.utf8_length(cells), 6)
    digits = pc.ascii_is_decimal(pc.replace_substring(cells, ".", ""))
    return pc.fill_null(pc.and_(short, digits), False)


def _where(cells: object, skip: object, test: Callable[[object], object]) -> object:
    """``test`` (a boolean kernel) on the cells not in ``skip``; False for the skipped ones."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pc.any(skip).as_py():
        return pc.fill_null(test(cells), False)
    out = np.zeros(len(cells), dtype=np.bool_)  # type: ignore[arg-type]
    rest = np.flatnonzero(~pc.fill_null(skip, False).to_numpy(zero_copy_only=False))
    if len(rest):
        found = pc.fill_null(test(pc.take(cells, rest)), False)
        out[rest] = found.to_numpy(zero_copy_only=False)
    return pa.array(out)


def _prefilter(cells: object) -> object:
    """Cells that may hold a candidate: the ASCII pattern, plus the Unicode one where needed."""
    import pyarrow.compute as pc

    wanted = _match(cells, PREFILTER_ASCII)
    wide = pc.and_(pc.invert(pc.fill_null(pc.string_is_ascii(cells), True)), pc.invert(wanted))
    if pc.any(wide).as_py():
        positions = pc.indices_nonzero(wide)
        hits = pc.match_substring_regex(pc.take(cells, positions), PREFILTER)
        extra = pc.filter(positions, hits)
        if len(extra):
            mask = pc.is_in(pc.indices_nonzero(pc.is_valid(cells)), value_set=extra)
            wanted = pc.or_(wanted, mask)
    return wanted


def _limited(batches: Iterator[ColumnBatch], max_rows: int) -> Iterator[ColumnBatch]:
    from mlsvs.datacheck.columnar import ColumnBatch

    for batch in batches:
        if max_rows and batch.start >= max_rows:
            return
        if max_rows and batch.start + batch.rows > max_rows:
            keep = max_rows - batch.start
            yield ColumnBatch(batch.start, tuple(c.slice(0, keep) for c in batch.columns))
            return
        yield batch


def _hint_value(value: str, entity: Entity) -> bool:
    text = value.strip()
    if not text:
        return False
    if entity is Entity.DATE_OF_BIRTH:
        return bool(re.search(r"\d", text))
    return bool(_LETTER.search(text))
