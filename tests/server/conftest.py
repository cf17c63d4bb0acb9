"""Fixtures: the results corpus, the database (SQLite and PostgreSQL), an app with users."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests.server.projects import Corpus, build

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")
pytest.importorskip("argon2")

PASSWORD = "correct horse battery staple"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
USERS = {
    "root": "admin",
    "ada": "auditor",
    "bob": "auditor",
    "eve": "engineer",
    "vic": "viewer",
}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build(tmp_path_factory.mktemp("projects"))


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL on 127.0.0.1:5432 is unreachable ({str(exc).strip()[:120]})"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One uniquely named PostgreSQL database per test session (dropped at the end)."""
    why = _postgres_reachable()
    if why:
        pytest.skip(why)
    import psycopg

    name = f"mlsvs_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy (the migrations test uses none)."""
    from mlsvs.server.db import make_engine, migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(str(path))
    migrate(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a fresh schema of the session's PostgreSQL database."""
    if request.param == "sqlite":
        target = tmp_path / "server.db"
        if "fresh_database" not in request.fixturenames:
            import shutil

            shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield str(target)
        return
    import psycopg

    url = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def fresh_database() -> None:
    """Request it next to ``database`` for a never-migrated database."""


@dataclass
class Env:
    """A migrated app with one user per role and an ingest token for the engineer."""

    app: object
    settings: object
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)

    def client(self, user: str | None = None):  # type: ignore[no-untyped-def]
        """A TestClient logged in as ``user`` (the session cookie is reused, not re-made)."""
        from fastapi.testclient import TestClient

        client = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        if user is None:
            return client
        if user not in self.cookies:
            login(client, user)
            self.cookies[user] = dict(client.cookies)
        for key, value in self.cookies[user].items():
            client.cookies.set(key, value)
        return client

    def csrf(self, client) -> str:  # type: ignore[no-untyped-def]
        """The CSRF token of the client's session (read from a page, as a browser would)."""
        page = client.get("/findings").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def upload(self, document: dict[str, object], token: str | None = None):  # type: ignore[no-untyped-def]
        import json

        client = self.client()
        return client.post(
            "/api/v1/runs",
            content=json.dumps(document),
            headers={"authorization": f"Bearer {token or self.tokens['ingest']}"},
        )


def login(client, user: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, page[:300]
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": csrf.group(1), "next": "/"},
    )


def make_env(database: str, data_dir: Path, **extra: object) -> Env:
    from sqlalchemy import select

    from mlsvs.server.app import create_app
    from mlsvs.server.models import User
    from mlsvs.server.roles import Scope
    from mlsvs.server.settings import Settings
    from mlsvs.server.users import create_token, create_user

    settings = Settings(database=database, data_dir=data_dir, secret_key="t" * 48, **extra)  # type: ignore[arg-type]
    app = create_app(settings)
    env = Env(app=app, settings=settings)
    with app.state.sessions() as session:
        for name, role in USERS.items():
            create_user(session, name, PASSWORD, role, actor="fixture")
        session.commit()
        eve = session.execute(select(User).where(User.username == "eve")).scalar_one()
        env.tokens["ingest"] = create_token(
            session, eve, "ci", frozenset({Scope.INGEST}), actor="fixture"
        )
        env.tokens["read"] = create_token(
            session, eve, "reader", frozenset({Scope.READ}), actor="fixture"
        )
        vic = session.execute(select(User).where(User.username == "vic")).scalar_one()
        env.tokens["viewer-ingest"] = create_token(
            session, vic, "not allowed", frozenset({Scope.INGEST}), actor="fixture"
        )
        session.commit()
    return env


@pytest.fixture
def env(database: str, tmp_path: Path) -> Iterator[Env]:
    made = make_env(database, tmp_path / "data")
    yield made
    made.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def loaded(env: Env, corpus: Corpus) -> Env:
    """``env`` with run 1 and run 2 of fraud-scorer and the hostile system uploaded."""
    for doc in (corpus.run1, corpus.run2, corpus.hostile):
        response = env.upload(doc)
        assert response.status_code == 201, response.text
    return env


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper argon2id parameters for the test users (verification reads them from the hash).

    ``test_authz.py::test_production_hashes_use_argon2_defaults`` checks the real ones.
    """
    from argon2 import PasswordHasher

    import mlsvs.server.security as security

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "hash_password", cheap.hash)
    monkeypatch.setattr("mlsvs.server.users.hash_password", cheap.hash)
