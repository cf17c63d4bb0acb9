"""The database schema (SQLAlchemy 2 ORM). Alembic migrations under ``migrations/`` create it.

Sized for ~10,000 runs of ~200 systems (≈1.5 M verdict rows): the pages read a system's runs
through ``ix_runs_system_finished``, and a run's verdicts and a requirement's history (the
system's runs, one point lookup each) through the ``verdicts`` primary key ``(run_id,
requirement)``; no other index on ``verdicts``, so an upload appends to one B-tree instead of
dirtying a leaf page per verdict. The newest run of each system is denormalised onto
``systems`` so the inventory never scans the runs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy import Table


def no_nul(value: object) -> object:
    """NUL replaced by U+FFFD (PostgreSQL text cannot hold it; scanned artifacts carry it)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class Str(TypeDecorator[str]):
    """``String`` whose bound values never contain NUL (replaced by U+FFFD)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> object:
        """Replace NUL before the driver sees the value."""
        return no_nul(value)


class LongText(TypeDecorator[str]):
    """``Text`` whose bound values never contain NUL (replaced by U+FFFD)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> object:
        """Replace NUL before the driver sees the value."""
        return no_nul(value)


def utcnow() -> dt.datetime:
    """Now, UTC, without microseconds (what every timestamp column stores)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    """A person who logs in to the pages."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Str(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Str(255))
    role: Mapped[str] = mapped_column(Str(16))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A CI credential: only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Str(64))
    token_hash: Mapped[str] = mapped_column(Str(64), unique=True)
    scopes: Mapped[str] = mapped_column(Str(64))
    """Comma-separated ``Scope`` values."""
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class System(Base):
    """One ML system (the ``project.name`` of its results documents)."""

    __tablename__ = "systems"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Str(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    latest_run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    latest_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    """Achieved level of the newest run (0: below L1)."""
    latest_target: Mapped[int] = mapped_column(SmallInteger, default=1)
    latest_finished: Mapped[str] = mapped_column(Str(40), default="")
    run_count: Mapped[int] = mapped_column(Integer, default=0)


class Run(Base):
    """One uploaded results document (identified by the SHA-256 of its canonical JSON)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_system_finished", "system_id", "finished_at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    digest: Mapped[str] = mapped_column(Str(64), unique=True)
    standard_version: Mapped[str] = mapped_column(Str(32))
    standard_digest: Mapped[str] = mapped_column(Str(64))
    tool_version: Mapped[str] = mapped_column(Str(64))
    target_level: Mapped[int] = mapped_column(SmallInteger)
    achieved_level: Mapped[int] = mapped_column(SmallInteger)
    traits: Mapped[str] = mapped_column(LongText)
    """Comma-separated traits of the project in this run."""
    started_at: Mapped[str] = mapped_column(Str(40))
    finished_at: Mapped[str] = mapped_column(Str(40))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(Str(64))
    counts: Mapped[str] = mapped_column(Str(255))
    """``verdict=count`` pairs, comma-separated (the inventory's summary bar)."""
    chapter_counts: Mapped[str] = mapped_column(LongText, default="")
    """JSON chapter -> verdict -> count: the history grid reads it instead of the verdicts."""
    document: Mapped[bytes] = mapped_column(LargeBinary)
    """The results document: canonical JSON, Zstandard (or gzip) compressed; diffs re-parse it."""


class VerdictRow(Base):
    """One requirement's verdict in one run."""

    __tablename__ = "verdicts"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    requirement: Mapped[str] = mapped_column(Str(32), primary_key=True)
    chapter: Mapped[str] = mapped_column(Str(8))
    level: Mapped[int] = mapped_column(SmallInteger)
    verdict: Mapped[str] = mapped_column(Str(16))
    basis: Mapped[str] = mapped_column(Str(16))
    reason: Mapped[str] = mapped_column(LongText, default="")


class FindingRow(Base):
    """A failing or erroring finding of a run (passes are not stored: the document has them)."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_run", "run_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    fingerprint: Mapped[str] = mapped_column(Str(64))
    check_id: Mapped[str] = mapped_column(Str(32))
    status: Mapped[str] = mapped_column(Str(16))
    severity: Mapped[str] = mapped_column(Str(16))
    requirements: Mapped[str] = mapped_column(LongText)
    path: Mapped[str] = mapped_column(LongText)
    message: Mapped[str] = mapped_column(LongText)
    waiver: Mapped[str] = mapped_column(Str(128), default="")


class RunAttestation(Base):
    """An attestation a run read, with the validity that run computed."""

    __tablename__ = "run_attestations"
    __table_args__ = (Index("ix_run_attestations_run", "run_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    requirement: Mapped[str] = mapped_column(Str(32))
    claim: Mapped[str] = mapped_column(Str(16))
    validity: Mapped[str] = mapped_column(Str(32))
    source: Mapped[str] = mapped_column(LongText)
    attested_by: Mapped[str] = mapped_column(LongText, default="")
    expires: Mapped[dt.date | None] = mapped_column(Date, default=None)


class RunWaiver(Base):
    """A waiver configured for a run, with its expiry (results written with schema 1.3+)."""

    __tablename__ = "run_waivers"
    __table_args__ = (Index("ix_run_waivers_run", "run_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    waiver: Mapped[str] = mapped_column(Str(128))
    reason: Mapped[str] = mapped_column(LongText, default="")
    requirement: Mapped[str] = mapped_column(Str(32), default="")
    check_id: Mapped[str] = mapped_column(Str(32), default="")
    approved_by: Mapped[str] = mapped_column(LongText, default="")
    expires: Mapped[dt.date] = mapped_column(Date)
    expired: Mapped[bool] = mapped_column(default=False)
    """Expired on the run's day (so not applied)."""
    applied: Mapped[int] = mapped_column(Integer, default=0)
    """Failures of the run it covered."""


class AssessmentRow(Base):
    """An auditor's assessment of one system against the requirements only people can judge."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str] = mapped_column(Str(16), default="open")
    created_by: Mapped[str] = mapped_column(Str(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    signed_off_by: Mapped[str] = mapped_column(Str(64), default="")
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    valid_days: Mapped[int] = mapped_column(Integer, default=365)


class AssessmentItem(Base):
    """The auditor's verdict on one requirement of an assessment."""

    __tablename__ = "assessment_items"
    __table_args__ = (UniqueConstraint("assessment_id", "requirement"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    requirement: Mapped[str] = mapped_column(Str(32))
    claim: Mapped[str] = mapped_column(Str(16))
    statement: Mapped[str] = mapped_column(LongText)
    justification: Mapped[str] = mapped_column(LongText, default="")
    recorded_by: Mapped[str] = mapped_column(Str(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvidenceFile(Base):
    """An evidence file attached to an assessment item; the bytes live content-addressed."""

    __tablename__ = "evidence_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("assessment_items.id"))
    sha256: Mapped[str] = mapped_column(Str(64))
    filename: Mapped[str] = mapped_column(Str(255))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(Str(64))


class AuditEntry(Base):
    """Append-only log of every change (the migration installs triggers refusing edits)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(Str(64))
    action: Mapped[str] = mapped_column(Str(64))
    target: Mapped[str] = mapped_column(LongText, default="")
    detail: Mapped[str] = mapped_column(LongText, default="")


class LoginFailure(Base):
    """A failed login or password change: the login throttle's state, in the database so that
    every server process (``mlsvs server --workers N``) counts the same attempts.

    Short-lived (rows older than the throttle's window are pruned) and not backed up.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key_at", "key", "at"),
        Index("ix_login_failures_at", "at"),
        {"info": {"ephemeral": True}},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    """SHA-256 of ``username|client address`` (neither is stored in the clear here)."""
    at: Mapped[float] = mapped_column(Float)
    """Unix time (seconds) of the attempt."""


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, in dependency order (ephemeral state left out)."""
    return [t for t in Base.metadata.sorted_tables if not t.info.get("ephemeral")]


# Tables declared in their own modules, registered on ``Base.metadata`` with the rest.
from mlsvs.server import fleet_scans as _fleet_scans  # noqa: E402, F401
