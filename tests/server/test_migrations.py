"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations


def test_migrated_schema_matches_the_models(fresh_database, database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mlsvs.server.db import HEAD, current_revision, make_engine, migrate
    from mlsvs.server.models import Base

    engine = make_engine(database)
    try:
        assert current_revision(engine) is None
        assert migrate(engine) == HEAD
        assert migrate(engine) == HEAD  # idempotent at start-up
        assert current_revision(engine) == HEAD
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_indexes_for_the_history_queries_exist(fresh_database, database):
    from sqlalchemy import inspect

    from mlsvs.server.db import make_engine, migrate

    engine = make_engine(database)
    try:
        migrate(engine)
        inspector = inspect(engine)
        runs = {i["name"]: i["column_names"] for i in inspector.get_indexes("runs")}
        assert runs["ix_runs_system_finished"] == ["system_id", "finished_at", "id"]
        # The requirement history reads the primary key; no second index to maintain per verdict.
        assert inspector.get_indexes("verdicts") == []
        assert inspector.get_pk_constraint("verdicts")["constrained_columns"] == [
            "run_id",
            "requirement",
        ]
    finally:
        engine.dispose()
