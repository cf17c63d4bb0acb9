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

Columns: before a value shape becomes a finding, the whole column is judged
(``decide``) from its name, how many of its shaped values validate and how its values are
distributed, so an ``order_id`` column of ``976-987-4168``-style numbers is not "phones in every
row" while a ``phone`` column of the same shapes is. Dismissed columns are reported with the
evidence (``ColumnDecision``).
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.columns import id_named
from mlsvs.datacheck.pii import (
    _CANDIDATES,
    HINT_ONLY,
    Confidence,
    Entity,
    Match,
    _confidence,
    column_hints,
    find_candidates,
    mask,
)
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.validators import phone_number_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

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

    firsts: list[tuple[int, int, str]] = field(default_factory=list)
    """The ``SAMPLES`` distinct samples seen first: (row of first sight, call number, sample)."""
    calls: int = 0

    def add(self, confidence: Confidence, sample: str, row: int, rule: str = "") -> None:
        self.count += 1
        self.confidence = max(self.confidence, confidence)
        self.rule = self.rule or rule
        self.sample(row, sample)
        if not self.hit_rows or self.hit_rows[-1] != row:
            self.hit_rows.append(row)

    def sample(self, row: int, sample: str) -> None:
        """Record a sample seen at ``row``: any order of calls keeps the first ones by row.

        ``samples`` ends as the first ``SAMPLES`` distinct samples and ``rows`` as the first
        ``SAMPLES`` distinct rows in row order, whatever order the calls come in (the columnar
        scan feeds some cells in bulk, the rest one by one).
        """
        self.calls += 1
        known = next((i for i, (_, _, s) in enumerate(self.firsts) if s == sample), None)
        if known is not None:
            if self.firsts[known][0] <= row:
                self._row(row)
                return
            del self.firsts[known]
        if len(self.firsts) < SAMPLES or row < self.firsts[-1][0]:
            self.firsts.append((row, self.calls, sample))
            self.firsts.sort()
            del self.firsts[SAMPLES:]
            self.samples = [s for _, _, s in self.firsts]
        self._row(row)

    def sample_row(self, row: int) -> None:
        """Record a row with a hit (any order; ``rows`` keeps the first ones)."""
        self._row(row)

    def _row(self, row: int) -> None:
        if row in self.rows or (len(self.rows) >= SAMPLES and row > self.rows[-1]):
            return
        self.rows.append(row)
        self.rows.sort()
        del self.rows[SAMPLES:]


@dataclass(slots=True)
class _Column:
    """Distribution evidence of one column's entity-shaped cells."""

    filled: int = 0
    whole: int = 0
    """Cells that are exactly one shaped value."""
    distinct: set[str] = field(default_factory=set)
    """The first ``_DISTINCT_CAP`` distinct whole cells (stripped), in row order."""
    increasing: int = 0
    previous: int | None = None

    def record(self, key: str, current: int | None) -> None:
        """One whole cell (stripped) and its leading digits, in row order."""
        if len(self.distinct) < _DISTINCT_CAP:
            self.distinct.add(key)
        if current is not None:
            self.increasing += self.previous is not None and current > self.previous
            self.previous = current

    def record_many(self, keys: list[str], currents: list[int | None]) -> None:
        """``record`` of many whole cells in row order (one C-level set update when it fits)."""
        if len(self.distinct) + len(keys) <= _DISTINCT_CAP:
            self.distinct.update(keys)
        else:
            for key in keys:
                if len(self.distinct) >= _DISTINCT_CAP:
                    break
                self.distinct.add(key)
        for current in currents:
            if current is not None:
                self.increasing += self.previous is not None and current > self.previous
                self.previous = current


class _Scan:
    """Accumulates cell results; ``report`` applies the column decisions."""

    def __init__(self, header: tuple[str, ...]) -> None:
        self.header = header
        self.hints = [column_hints(c) for c in header]
        self.acc: dict[tuple[int, Entity], _Acc] = {}
        self.columns = [_Column() for _ in header]
        self.rows = 0

    def cell(
        self,
        index: int,
        number: int,
        text: str,
        candidates: list[Match] | None = None,
        wholes: list[tuple[int, str, int | None]] | None = None,
    ) -> None:
        """One cell's candidates (``find_candidates`` unless given); whole cells go to
        ``wholes`` as (row, stripped text, leading digits) when given, else are recorded."""
        hints = self.hints[index]
        if candidates is None:
            candidates = find_candidates(text, hints)
        stats = self.columns[index]
        if len(candidates) == 1 and candidates[0].end - candidates[0].start == len(text.strip()):
            stats.whole += 1
            digits = _NON_DIGITS.sub("", text)
            current = int(digits[:18]) if digits else None
            if wholes is None:
                stats.record(text.strip(), current)
            else:
                wholes.append((number, text.strip(), current))
        for match in candidates:
            value = text[match.start : match.end]
            acc = self.acc.setdefault((index, match.entity), _Acc())
            acc.shaped += 1
            unhinted_phone = match.entity is Entity.PHONE and Entity.PHONE not in hints
            if unhinted_phone and acc.phone_checked < PHONE_CHECKS:
                verdict = phone_number_valid(value)
                acc.phone_checked += 1
                acc.phone_valid += verdict is not False
                if verdict is False:
                    continue
            if not match.valid:
                continue
            acc.valid += 1
            acc.add(match.confidence, mask(value, match.entity), number)
        if _TOKENISH.search(text):
            self.secrets(index, number, text)

    def secrets(self, index: int, number: int, text: str) -> None:
        from mlsvs.codescan.secrets import SourceKind, find_secrets

        for hit in find_secrets(text, source_kind=SourceKind.DATA):
            acc = self.acc.setdefault((index, Entity.API_KEY), _Acc())
            acc.shaped += 1
            acc.valid += 1
            acc.add(Confidence.HIGH, hit.masked, number, hit.rule)

    def hint_only(self, index: int, entity: Entity, number: int, text: str) -> None:
        self.acc.setdefault((index, entity), _Acc()).add(
            Confidence.MEDIUM, mask(text, entity), number
        )

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


def _scan_columnar(source: TableSource, max_rows: int, progress: Progress) -> PiiReport:
    import pyarrow.compute as pc

    from mlsvs.datacheck.columnar import column_batches

    header, batches = column_batches(source)
    scan = _Scan(header)
    for batch in _limited(batches, max_rows):
        scan.rows += batch.rows
        for index, cells in enumerate(batch.columns):
            hints = scan.hints[index]
            plain = _plain_numbers(cells)
            filled = pc.or_(plain, _where(cells, plain, lambda c: _match(c, r"\S")))
            scan.columns[index].filled += pc.sum(filled).as_py() or 0
            wanted = filled if hints - HINT_ONLY else _where(cells, plain, _prefilter)
            simple = _where(cells, pc.invert(wanted), _simple_email)
            bulk = _simple_emails(scan, index, batch.start, cells, simple)
            if bulk is not None:
                wanted = pc.and_(wanted, pc.invert(simple))
            positions = pc.indices_nonzero(wanted).to_pylist()
            values = pc.take(cells, positions).to_pylist() if positions else []
            wholes: list[tuple[int, str, int | None]] = []
            cache: dict[str, list[Match]] = {}
            for position, value in zip(positions, values, strict=True):
                found = cache.get(value)
                if found is None:
                    found = cache[value] = find_candidates(value, hints)
                scan.cell(index, batch.start + position + 1, value, found, wholes)
            _record_wholes(scan.columns[index], wholes, bulk)
            for entity in sorted(hints & HINT_ONLY):
                probe = r"\p{Nd}" if entity is Entity.DATE_OF_BIRTH else r"[\pL\p{Nl}\p{No}]"
                marks = pc.indices_nonzero(pc.match_substring_regex(cells, probe)).to_pylist()
                texts = pc.take(cells, marks).to_pylist() if marks else []
                for position, value in zip(marks, texts, strict=True):
                    scan.hint_only(index, entity, batch.start + position + 1, value)
        progress(source.display, scan.rows, None)
    return scan.report(source.display, "arrow")


SIMPLE_EMAIL = (
    r"^[A-Za-z0-9][A-Za-z0-9_.%+-]{0,63}@(?:[A-Za-z0-9][A-Za-z0-9_-]{0,62}\.)+[A-Za-z]{2,24}$"
)
r"""A cell that is exactly one ASCII e-mail address and nothing else (no whitespace).

``find_candidates`` gives such a cell exactly one match, a valid ``email`` spanning the cell:
the ``email`` branch is tried first at position 0, its look-behind holds there, every class here
is the ASCII part of the branch's class with the same bounds, and the greedy label repetition
ends on the last label, which the look-ahead accepts at the end of the cell. So these cells are
counted in bulk (``_simple_emails``) with the same effect as ``_Scan.cell`` on each."""


@dataclass(frozen=True, slots=True)
class _Bulk:
    """Whole cells counted in bulk: 1-based rows (NumPy), texts and leading digits (Arrow)."""

    rows: Any
    values: Any
    numbers: Any


def _simple_emails(
    scan: _Scan, index: int, start: int, cells: object, simple: object
) -> _Bulk | None:
    """Count the ``SIMPLE_EMAIL`` cells of a column batch in bulk, as ``_Scan.cell`` would.

    Returns their (1-based row numbers, leading-digit values) for ``_record_wholes``, or None
    when there are none. Only the first ``SAMPLES`` distinct masks are built in Python.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    positions = pc.indices_nonzero(simple)
    if not len(positions):
        return None
    values = pc.take(cells, positions)
    rows = positions.to_numpy().astype(np.int64) + start + 1
    hints = scan.hints[index]
    acc = scan.acc.setdefault((index, Entity.EMAIL), _Acc())
    n = len(values)
    acc.shaped += n
    acc.valid += n
    acc.count += n
    acc.confidence = max(acc.confidence, _confidence(Entity.EMAIL, hints))
    tlds = pc.extract_regex(values, r"\.(?P<tld>[A-Za-z]{2,24})$").field("tld")
    masks = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, 1), tlds, "***@***.")
    for sample in pc.unique(masks)[:SAMPLES].to_pylist():
        first = pc.index(masks, sample).as_py()
        acc.sample(int(rows[first]), sample)
    for row in rows[:SAMPLES].tolist():
        acc.sample_row(row)
    tail = rows if not acc.hit_rows or acc.hit_rows[-1] != rows[0] else rows[1:]
    acc.hit_rows.frombytes(tail.tobytes())
    scan.columns[index].whole += n
    digits = pc.utf8_slice_codeunits(pc.replace_substring_regex(values, r"[^0-9]", ""), 0, 18)
    numbers = pc.cast(
        pc.if_else(pc.equal(digits, ""), pa.scalar(None, pa.string()), digits), pa.int64()
    )
    return _Bulk(rows, values, numbers)


def _record_wholes(
    stats: _Column,
    wholes: list[tuple[int, str, int | None]],
    bulk: _Bulk | None,
) -> None:
    """Record one column batch's whole cells in row order, bulk ones merged with the rest."""
    if bulk is None:
        for _, key, current in wholes:
            stats.record(key, current)
        return
    import numpy as np

    keys: list[str] = bulk.values.to_pylist()
    currents: list[int | None] = bulk.numbers.to_pylist()
    if wholes:
        rows = np.concatenate([bulk.rows, np.asarray([w[0] for w in wholes], dtype=np.int64)])
        keys += [w[1] for w in wholes]
        currents += [w[2] for w in wholes]
        order = np.argsort(rows, kind="stable").tolist()
        keys = [keys[i] for i in order]
        currents = [currents[i] for i in order]
    stats.record_many(keys, currents)


def _match(cells: object, pattern: str) -> object:
    import pyarrow.compute as pc

    return pc.fill_null(pc.match_substring_regex(cells, pattern), False)


def _plain_numbers(cells: object) -> object:
    """Cells of 1-6 ASCII digits and dots (``26.16``, ``0.5``, ``12``): no detector's shape.

    Every candidate needs an ``@``, a letter, a ``+``, ``(``, ``:`` or at least seven characters
    (an IPv4 address ``1.1.1.1``; the digit-only shapes need more), and a secret twenty, so such
    cells skip the regex passes (cheap length/character kernels instead).
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


def _simple_email(cells: object) -> object:
    """``SIMPLE_EMAIL`` cells without a secret-like run (those go through ``_Scan.cell``)."""
    import pyarrow.compute as pc

    return pc.and_(_match(cells, SIMPLE_EMAIL), pc.invert(_match(cells, _TOKENISH.pattern)))


def _prefilter(cells: object) -> object:
    """Cells that may hold a candidate: the ASCII pattern, plus the Unicode one where needed."""
    import pyarrow.compute as pc

    wanted = _match(cells, PREFILTER_ASCII)
    wide = pc.and_(pc.invert(pc.string_is_ascii(cells)), pc.invert(wanted))
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
