"""``mlsvs server``: run the assessment service and administer it.

``mlsvs server`` (or ``mlsvs server serve``) migrates the database and serves on
127.0.0.1:8400; ``migrate``, ``create-user``, ``create-token``, ``backup`` and ``restore``
administer it. SQLite file ``./mlsvs-server/mlsvs.db`` by default; ``--database
postgresql://user@host/db`` for PostgreSQL (psycopg 3).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--database",
        default=default,
        metavar="URL",
        help="SQLite file path or sqlite:///PATH (default: DATA_DIR/mlsvs.db), or "
        "postgresql://user@host:port/db",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default,
        help="evidence files and the session secret (default: ./mlsvs-server)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``mlsvs server`` and its sub-commands."""
    parser.description = (
        "The MLSVS assessment service: every system's level over time, run-to-run diffs, open "
        "findings, expiring attestations, the browsable standard, and the auditor's workflow "
        "(record verdicts with evidence, four-eyes sign-off, export attestations)."
    )
    _common(parser, top=True)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8400, help="port (default 8400)")
    parser.add_argument(
        "--secure-cookies", action="store_true", help="mark the session cookie Secure (HTTPS)"
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="server processes sharing the port (default 1; one per core for throughput)",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    serve = sub.add_parser("serve", help="migrate and serve (the default)")
    _common(serve, top=False)
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    _common(migrate, top=False)
    user = sub.add_parser(
        "create-user", help="add a user (password from $MLSVS_PASSWORD or a prompt)"
    )
    _common(user, top=False)
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=["admin", "auditor", "engineer", "viewer"])
    token = sub.add_parser("create-token", help="issue an API token for a user (printed once)")
    _common(token, top=False)
    token.add_argument("username")
    token.add_argument("--name", default="ci", help="label of the token")
    token.add_argument("--scopes", default="ingest", help="ingest, read (comma-separated)")
    back = sub.add_parser("backup", help="write every table and evidence file to a tar.gz")
    _common(back, top=False)
    back.add_argument("output", type=Path)
    rest = sub.add_parser("restore", help="load a backup into a new, empty database")
    _common(rest, top=False)
    rest.add_argument("input", type=Path)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--workers takes 1 to 64, not {text!r}")
    return value


def _settings(args: argparse.Namespace) -> object:
    from mlsvs.server.settings import default_settings

    return default_settings(
        args.database, args.data_dir, secure_cookies=bool(getattr(args, "secure_cookies", False))
    )


def _password() -> str:
    env = os.environ.get("MLSVS_PASSWORD")
    if env:
        return env
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        from mlsvs.errors import UsageError

        raise UsageError("the passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    """Dispatch the sub-command."""
    from mlsvs.server.db import make_engine, migrate, session_factory
    from mlsvs.server.settings import Settings

    settings = _settings(args)
    assert isinstance(settings, Settings)  # noqa: S101 - narrows for mypy
    action = args.action or "serve"
    if action == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    engine = make_engine(settings.database)
    revision = migrate(engine)
    if action == "migrate":
        print(f"mlsvs: database at schema revision {revision}", file=sys.stderr)
        return 0
    if action in {"create-user", "create-token"}:
        from sqlalchemy import select

        from mlsvs.errors import UsageError
        from mlsvs.server.models import User
        from mlsvs.server.users import create_token, create_user, parse_scopes

        with session_factory(engine)() as session:
            if action == "create-user":
                create_user(session, args.username, _password(), args.role, actor="cli")
                session.commit()
                print(f"mlsvs: created {args.role} {args.username}", file=sys.stderr)
                return 0
            user = session.execute(
                select(User).where(User.username == args.username.lower())
            ).scalar_one_or_none()
            if user is None:
                raise UsageError(f"no user {args.username!r}")
            token = create_token(session, user, args.name, parse_scopes(args.scopes), actor="cli")
            session.commit()
        print(token)
        return 0
    from mlsvs.server.backup import backup, restore

    if action == "backup":
        counts = backup(engine, settings.blob_dir, args.output)
        print(f"mlsvs: wrote {args.output}: {_summary(counts)}", file=sys.stderr)
        return 0
    counts = restore(engine, settings.blob_dir, args.input)
    print(f"mlsvs: restored {args.input}: {_summary(counts)}", file=sys.stderr)
    return 0


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _serve(settings: object, host: str, port: int, workers: int = 1) -> int:
    import uvicorn

    from mlsvs.server.app import create_app, tune_gc
    from mlsvs.server.settings import Settings

    assert isinstance(settings, Settings)  # noqa: S101
    where = f"serving on http://{host}:{port}/ (database {settings.database}"
    if workers > 1:
        from mlsvs.server.app import WORKER_SETTINGS_ENV, worker_settings_json
        from mlsvs.server.db import make_engine, migrate

        # Migrate once here, before the workers start (they would race on a fresh database).
        engine = make_engine(settings.database)
        migrate(engine)
        engine.dispose()
        os.environ[WORKER_SETTINGS_ENV] = worker_settings_json(settings)
        print(f"mlsvs: {where}, {workers} workers)", file=sys.stderr)
        uvicorn.run(
            "mlsvs.server.app:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,
        )
        return 0
    app = create_app(settings)
    tune_gc()
    print(f"mlsvs: {where})", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    return 0
