"""Backup and restore: every table as JSON lines plus the evidence blobs, in one tar.gz.

The format is database-neutral (a SQLite backup restores into PostgreSQL and back). Restore
goes into a freshly migrated, empty database only, and re-hashes every evidence blob.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import tarfile
from typing import TYPE_CHECKING, Any

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine, Table

FORMAT = "mlsvs-server-backup/1"


class BackupError(MlsvsError):
    """The backup is unreadable, of another format, or the target database is not empty."""


def _encode(value: object) -> object:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import Date, DateTime, LargeBinary

    out: dict[str, Any] = {}
    for name, value in row.items():
        column = table.columns[name]
        if value is None:
            out[name] = None
        elif isinstance(column.type, LargeBinary):
            out[name] = base64.b64decode(value["b64"])
        elif isinstance(column.type, DateTime):
            out[name] = dt.datetime.fromisoformat(value)
        elif isinstance(column.type, Date):
            out[name] = dt.date.fromisoformat(value)
        else:
            out[name] = value
    return out


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def backup(engine: Engine, blob_dir: Path, target: Path) -> dict[str, int]:
    """Write ``target`` (tar.gz); returns rows per table."""
    from sqlalchemy import select

    from mlsvs.server.db import current_revision
    from mlsvs.server.models import backed_up_tables

    counts: dict[str, int] = {}
    with tarfile.open(target, "w:gz") as archive, engine.connect() as connection:
        for table in backed_up_tables():
            order = list(table.primary_key.columns)
            lines = [
                json.dumps({k: _encode(v) for k, v in row.items()})
                for row in connection.execute(select(table).order_by(*order)).mappings()
            ]
            counts[table.name] = len(lines)
            _add(archive, f"tables/{table.name}.jsonl", ("\n".join(lines) + "\n").encode())
        blobs = sorted(p for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.is_dir() else []
        for path in blobs:
            _add(archive, f"blobs/{path.name}", path.read_bytes())
        counts["blobs"] = len(blobs)
        manifest = {"format": FORMAT, "revision": current_revision(engine), "counts": counts}
        _add(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
    return counts


def restore(engine: Engine, blob_dir: Path, source: Path) -> dict[str, int]:
    """Load ``source`` into the (migrated, empty) database; returns rows per table."""
    from sqlalchemy import func, insert, select, text

    from mlsvs.server.db import current_revision
    from mlsvs.server.models import backed_up_tables
    from mlsvs.server.workflow import store_blob

    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read backup: {exc}", path=str(source)) from None
    with archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}

        def read(name: str) -> bytes:
            member = members.get(name)
            handle = archive.extractfile(member) if member is not None else None
            if handle is None:
                raise BackupError(f"backup lacks {name}", path=str(source))
            return handle.read()

        manifest = json.loads(read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"not an {FORMAT} archive", path=str(source))
        if manifest.get("revision") != current_revision(engine):
            raise BackupError(
                f"backup schema {manifest.get('revision')} differs from the database's "
                f"{current_revision(engine)}: migrate first",
                path=str(source),
            )
        counts: dict[str, int] = {}
        with engine.begin() as connection:
            for table in backed_up_tables():
                if connection.execute(select(func.count()).select_from(table)).scalar_one():
                    raise BackupError(
                        f"the database is not empty (table {table.name}); restore needs a "
                        "new database",
                    )
            for table in backed_up_tables():
                raw = read(f"tables/{table.name}.jsonl").decode()
                rows = [_decode(table, json.loads(line)) for line in raw.splitlines() if line]
                if rows:
                    connection.execute(insert(table), rows)
                counts[table.name] = len(rows)
                if engine.dialect.name == "postgresql" and "id" in table.columns and rows:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - table names come from our metadata
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
        blobs = 0
        for name in members:
            if not name.startswith("blobs/"):
                continue
            data = read(name)
            digest = name.removeprefix("blobs/")
            if hashlib.sha256(data).hexdigest() != digest:
                raise BackupError(f"evidence blob {digest[:12]} is corrupt", path=str(source))
            store_blob(blob_dir, data)
            blobs += 1
        counts["blobs"] = blobs
    return counts
