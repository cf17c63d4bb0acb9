"""Engine, sessions and migrations: SQLite file by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

HEAD = "0005"


class DatabaseError(MlsvsError):
    """The database URL is unsupported, or the database cannot be reached or migrated."""


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3; ``sqlite:///path`` and plain paths are SQLite files."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    if "://" in url:
        raise DatabaseError(
            f"unsupported database URL scheme {url.split('://', 1)[0]!r} "
            "(use a SQLite file path, sqlite:///PATH or postgresql://...)"
        )
    return f"sqlite:///{Path(url).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    from sqlalchemy import create_engine, event

    full = normalise_url(url)
    if full.startswith("sqlite"):
        engine = create_engine(full, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: object, _record: object) -> None:
            cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(full, pool_pre_ping=True, pool_size=10, max_overflow=10)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns it. ``DatabaseError`` on failure."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import SQLAlchemyError

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot migrate the database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        ) from None
    return HEAD


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None: never migrated)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
