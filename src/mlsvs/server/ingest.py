"""Store one results document: validated, against a known catalog, idempotent per digest."""

from __future__ import annotations

import concurrent.futures
import functools
import gzip
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from types import ModuleType

    from sqlalchemy.orm import Session

    from mlsvs.model.assessment import Assessment
    from mlsvs.model.catalog import Standard


class IngestError(MlsvsError):
    """The document is malformed or was made against a catalog this server does not know."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingested:
    """Where a document went."""

    run_id: int
    system: str
    created: bool
    """False when the same document (same digest) was already stored."""
    digest: str


def canonical(data: object) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8 (the digest's input).

    Written by orjson (≈ 15 times faster than the standard library on a results document);
    data orjson refuses (integers beyond 64 bits) falls back to ``json.dumps`` with the same
    layout. Either way the bytes depend only on the data, so equal documents get equal
    digests. Non-finite numbers never get here: uploads refuse them (``parse_body``).
    """
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        pass
    try:
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except RecursionError:
        raise IngestError("not a document this server reads: nested too deeply") from None


def _not_json(constant: str) -> object:
    raise IngestError(f"not JSON: {constant} is not a JSON number (RFC 8259)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise IngestError(f"not JSON: {text[:40]} is out of range for a number")
    return value


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19
"""19 digits in a row: maybe an integer beyond 64 bits, which orjson would read as a float.

Found by mapping every digit to ``0`` and searching for 19 of them (≈ 0.4 ms for a 400 KB
document; a regular expression took 16 ms)."""


def parse_body(body: bytes) -> object:
    """The uploaded bytes as JSON data; ``IngestError`` for anything that is not strict JSON.

    orjson reads UTF-8 RFC 8259 JSON ≈ 4 times faster than the standard library. Anything it
    refuses (NaN, lone surrogates, other encodings, deep nesting) and any body with 19 digits
    in a row (an integer orjson would turn into a float) goes to the standard library, which
    accepts what it accepted before or names the problem; the data is the same either way.
    """
    import orjson

    if _LONG_DIGITS not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body, parse_constant=_not_json, parse_float=_finite_float)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"not JSON: {exc}") from None
    except RecursionError:
        raise IngestError("not JSON this server reads: nested too deeply") from None


_ESCAPES_WALKED = 64
"""Backslashes ``has_nul_escape`` visits one by one before it searches the rest in one go."""


def has_nul_escape(body: bytes) -> bool:
    """Whether canonical JSON ``body`` holds a ``\\u0000`` escape (a NUL in some string).

    Searching the 6-byte needle through ≈ 450 KB costs ≈ 0.4 ms (its last byte, a digit, is
    everywhere in a results document); a single-byte search for the backslash is a
    ``memchr`` and a results document holds a few dozen escapes, so walk those and look at
    what follows each. An escaped backslash (``\\\\``) is stepped over whole, so the
    text ``\\u0000`` written out in a string is not mistaken for a NUL. A body with many
    escapes falls back to the plain search for the rest (a superset: at worst it cleans).
    """
    at = body.find(b"\\")
    for _ in range(_ESCAPES_WALKED):
        if at < 0:
            return False
        if body.startswith(b"u0000", at + 1):
            return True
        at = body.find(b"\\", at + 2)
    return at >= 0 and body.find(b"\\u0000", at) >= 0


def document_digest(data: object) -> str:
    """SHA-256 of the canonical document: the run's identity."""
    return hashlib.sha256(canonical(data)).hexdigest()


@functools.cache
def known_versions() -> frozenset[str]:
    """The catalog versions bundled with this server (read once per process)."""
    from mlsvs.catalog.loader import bundled_versions

    return frozenset(bundled_versions())


@functools.lru_cache(maxsize=8)
def chapters_of(version: str) -> dict[str, str]:
    """Requirement ID -> chapter ID of a bundled standard (cached per process)."""
    return {rid: req.chapter for rid, req in standard_for(version).requirements.items()}


@functools.lru_cache(maxsize=8)
def standard_for(version: str | None = None) -> Standard:
    """A bundled standard, cached per process (``load_standard`` re-reads the version list)."""
    from mlsvs.catalog import load_standard

    return load_standard(version)


def parse_document(data: object) -> Assessment:
    """The assessment, or ``IngestError`` (malformed, unknown or altered catalog)."""
    from mlsvs.render.json import ResultsError, parse_assessment

    try:
        assessment = parse_assessment(data, source="upload")
    except ResultsError as exc:
        raise IngestError(exc.message) from None
    version = assessment.standard.version
    if assessment.standard.key != "mlsvs" or version not in known_versions():
        raise IngestError(
            f"unknown catalog {assessment.standard.key} {version} (this server knows "
            f"{', '.join(sorted(known_versions()))})"
        )
    standard = standard_for(version)
    if standard.digest != assessment.standard.digest:
        raise IngestError(
            f"catalog {version} digest {assessment.standard.digest[:12]} does not match this "
            f"server's {standard.digest[:12]} (modified catalog?)"
        )
    unknown = [
        v.requirement for v in assessment.verdicts if v.requirement not in standard.requirements
    ]
    if unknown:
        raise IngestError(f"verdict for {unknown[0]}, not a requirement of {version}")
    return assessment


def ingest(session: Session, data: object, *, uploaded_by: str, actor: str = "") -> Ingested:
    """Validate and store ``data``; the caller commits. Same digest twice -> the first run.

    One SQL statement per table (prebuilt Core statements for the single rows, ``RETURNING``
    for the run's ID; ``COPY`` / ``executemany`` straight to the driver for the verdicts,
    findings, attestations and waivers), no ORM objects: ingest is the server's hot path.
    With ``actor`` the audit entry goes in with the run.
    """
    body = canonical(data)
    digest = hashlib.sha256(body).hexdigest()
    sql = _statements()
    existing = session.connection().execute(sql.find_run, {"digest": digest}).first()
    if existing is not None:
        return Ingested(run_id=existing[0], system=existing[1], created=False, digest=digest)
    # The compressor releases the GIL: the document compresses on another core while it is
    # validated.
    compressed = _compressor().submit(compress_document, body)
    try:
        return _store(
            session,
            data,
            digest,
            compressed,
            uploaded_by=uploaded_by,
            actor=actor,
            clean=has_nul_escape(body),
        )
    finally:
        compressed.cancel()


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"


@functools.cache
def _zstd() -> ModuleType | None:
    """The Zstandard module (``compression.zstd`` from Python 3.14, else ``backports.zstd``)."""
    import importlib

    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def compress_document(body: bytes) -> bytes:
    """The stored form of a canonical document: Zstandard level 1, or gzip level 1 without it.

    Zstandard level 1 compresses a 457 KB results document in ≈ 1.3 ms (level 3: 2.9 ms,
    10 % smaller output; gzip level 1: ≈ 8 ms, larger still). The compression runs beside
    validation but its CPU counts against ingest's throughput. ``load_document`` tells
    Zstandard and gzip apart by their magic numbers.
    """
    zstd = _zstd()
    if zstd is not None:
        return bytes(zstd.compress(body, level=1))
    return gzip.compress(body, compresslevel=1, mtime=0)


def decompress_document(blob: bytes) -> bytes:
    """The canonical JSON bytes of a stored document (Zstandard or gzip)."""
    if blob[:4] == _ZSTD_MAGIC:
        zstd = _zstd()
        if zstd is None:
            raise IngestError(
                "this run is stored Zstandard-compressed and this Python has no Zstandard "
                "module (pip install backports.zstd)"
            )
        return bytes(zstd.decompress(blob))
    if blob[:2] == _GZIP_MAGIC:
        return gzip.decompress(blob)
    raise IngestError("stored run document: neither Zstandard nor gzip")


@functools.cache
def _compressor() -> concurrent.futures.ThreadPoolExecutor:
    """The process's compression threads (one per core, at most four)."""
    import os

    return concurrent.futures.ThreadPoolExecutor(
        max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="mlsvs-compress"
    )


def _store(
    session: Session,
    data: object,
    digest: str,
    compressed: concurrent.futures.Future[bytes],
    *,
    uploaded_by: str,
    actor: str,
    clean: bool,
) -> Ingested:
    from mlsvs.server.models import no_nul, utcnow

    assessment = parse_document(data)
    version = assessment.standard.version
    chapter = chapters_of(version)
    name = str(no_nul(assessment.project.name)).strip()[:200] or "(unnamed)"
    sql = _statements()
    connection = session.connection()
    found = connection.execute(sql.find_system, {"name": name}).first()
    if found is None:
        system_id = connection.execute(sql.insert_system, {"name": name}).scalar_one()
        newest = ""
    else:
        system_id, newest = found
    # Enum ``.value`` is a Python-level descriptor: read each verdict's once.
    verdicts = [(v, v.verdict.value, chapter[v.requirement]) for v in assessment.verdicts]
    counts = Counter(value for _, value, _ in verdicts)
    by_chapter: dict[str, Counter[str]] = {}
    for _, value, chap in verdicts:
        per = by_chapter.get(chap)
        if per is None:
            per = by_chapter[chap] = Counter()
        per[value] += 1
    achieved = int(assessment.achieved_level) if assessment.achieved_level is not None else 0
    now = utcnow()
    run_id = connection.execute(
        sql.insert_run,
        {
            "system_id": system_id,
            "digest": digest,
            "standard_version": version,
            "standard_digest": assessment.standard.digest,
            "tool_version": assessment.tool.version[:64],
            "target_level": int(assessment.target_level),
            "achieved_level": achieved,
            "traits": ",".join(assessment.project.traits),
            "started_at": assessment.started_at,
            "finished_at": assessment.finished_at,
            "uploaded_at": now,
            "uploaded_by": uploaded_by,
            "counts": ",".join(f"{k}={n}" for k, n in sorted(counts.items())),
            "chapter_counts": json.dumps(
                {c: dict(n) for c, n in by_chapter.items()}, sort_keys=True
            ),
            "document": compressed.result(),
        },
    ).scalar_one()
    rows = [
        (
            run_id,
            v.requirement,
            chap,
            int(v.level),
            value,
            v.basis.value,
            v.reasons[0][:2000] if v.reasons else "",
        )
        for v, value, chap in verdicts
    ]
    bulk_insert(session, "verdicts", VERDICT_COLUMNS, rows, clean=clean)
    failing = [
        (
            run_id,
            f.id,
            f.check,
            f.status.value,
            f.severity.value,
            ",".join(f.requirements),
            f.target.path[:2000],
            f.message[:4000],
            f.waiver or "",
        )
        for f in assessment.findings
        if f.status.value in {"fail", "error"}
    ]
    bulk_insert(session, "findings", FINDING_COLUMNS, failing, clean=clean)
    attested = [
        (
            run_id,
            a.requirement,
            a.claim.value,
            a.validity.value,
            a.source,
            a.attested_by.name if a.attested_by else "",
            a.expires.isoformat() if a.expires else None,
        )
        for a in assessment.attestations
    ]
    bulk_insert(session, "run_attestations", ATTESTATION_COLUMNS, attested, clean=clean)
    waivers = [
        (
            run_id,
            w.id[:128],
            w.reason,
            (w.requirement or "")[:32],
            (w.check or "")[:32],
            w.approved_by,
            w.expires.isoformat(),
            w.expired,
            w.applied,
        )
        for w in assessment.waivers
    ]
    bulk_insert(session, "run_waivers", WAIVER_COLUMNS, waivers, clean=clean)
    if not newest or assessment.finished_at >= newest:
        connection.execute(
            sql.update_latest,
            {
                "b_id": system_id,
                "b_run": run_id,
                "b_level": achieved,
                "b_target": int(assessment.target_level),
                "b_finished": assessment.finished_at,
            },
        )
    else:
        connection.execute(sql.update_count, {"b_id": system_id})
    if actor:
        connection.execute(
            sql.insert_audit,
            {
                "actor": actor,
                "action": "run.ingest",
                "target": name[:500],
                "detail": f"run {run_id} {digest[:16]}",
                "at": now,
            },
        )
    return Ingested(run_id=run_id, system=name, created=True, digest=digest)


@dataclass(frozen=True, slots=True)
class _Statements:
    """Ingest's single-row statements, built once: executed with parameters, they hit
    SQLAlchemy's compiled cache instead of being rebuilt and re-coerced per upload (that
    cost ≈ 1.5 ms per statement through the ORM session). Fields are SQLAlchemy ``Executable``s
    (``Any`` here: SQLAlchemy is imported lazily)."""

    find_run: Any
    find_system: Any
    insert_system: Any
    insert_run: Any
    update_latest: Any
    update_count: Any
    insert_audit: Any


@functools.cache
def _statements() -> _Statements:
    from sqlalchemy import bindparam, insert, select, update

    from mlsvs.server.models import Base

    tables = Base.metadata.tables
    runs = tables["runs"]
    systems = tables["systems"]
    by_id = systems.c.id == bindparam("b_id")
    return _Statements(
        find_run=select(runs.c.id, systems.c.name)
        .join(systems, systems.c.id == runs.c.system_id)
        .where(runs.c.digest == bindparam("digest")),
        find_system=select(systems.c.id, systems.c.latest_finished).where(
            systems.c.name == bindparam("name")
        ),
        insert_system=insert(systems).returning(systems.c.id),
        insert_run=insert(runs).returning(runs.c.id),
        update_latest=update(systems)
        .where(by_id)
        .values(
            run_count=systems.c.run_count + 1,
            latest_run_id=bindparam("b_run"),
            latest_level=bindparam("b_level"),
            latest_target=bindparam("b_target"),
            latest_finished=bindparam("b_finished"),
        ),
        update_count=update(systems).where(by_id).values(run_count=systems.c.run_count + 1),
        insert_audit=insert(tables["audit_log"]),
    )


# The bulk-inserted tables' columns, in the order of the row tuples below (the benchmark's
# bulk load imports them, so it cannot drift from the schema).
VERDICT_COLUMNS = ("run_id", "requirement", "chapter", "level", "verdict", "basis", "reason")
FINDING_COLUMNS = (
    "run_id",
    "fingerprint",
    "check_id",
    "status",
    "severity",
    "requirements",
    "path",
    "message",
    "waiver",
)
ATTESTATION_COLUMNS = (
    "run_id",
    "requirement",
    "claim",
    "validity",
    "source",
    "attested_by",
    "expires",
)

WAIVER_COLUMNS = (
    "run_id",
    "waiver",
    "reason",
    "requirement",
    "check_id",
    "approved_by",
    "expires",
    "expired",
    "applied",
)


def bulk_insert(
    session: Session,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    clean: bool,
) -> None:
    """Insert ``rows`` in the session's transaction: ``COPY`` on PostgreSQL, else ``executemany``.

    Straight to the driver, bypassing SQLAlchemy's per-row parameter processing (which cost
    more than the inserts themselves): psycopg's ``COPY … FROM STDIN`` streams the rows in
    one statement, sqlite3's ``executemany`` is a C loop over one prepared statement. The
    column types' NUL cleaning is bypassed too, so ``clean`` (the canonical document holds a
    ``\\u0000`` somewhere) replaces NUL here; documents without one skip that pass.
    """
    from mlsvs.server.models import no_nul

    if not rows:
        return
    if clean:
        rows = [tuple(no_nul(value) for value in row) for row in rows]
    connection = session.connection()
    raw: Any = connection.connection.dbapi_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = raw.cursor()
    try:
        marks = ", ".join("?" * len(columns))
        # table and column names are this module's constants, never request data
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def load_document(blob: bytes) -> Assessment:
    """A stored run's assessment (already validated at ingest).

    Parsed like an upload (``parse_body``: orjson, the standard library for integers beyond
    64 bits), ≈ 3 times faster than ``json.loads`` on a results document; the diff page
    reads two of these per request.
    """
    from mlsvs.render.json import parse_assessment

    return parse_assessment(parse_body(decompress_document(blob)), source="stored run")
