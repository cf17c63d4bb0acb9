"""Advisory databases: the bundled ML advisories and an optional local OSV snapshot.

The bundled file works with no setup; an OSV PyPI export (``all.zip`` from
``osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip``, a directory or a JSON file) adds
everything else. Every database carries its date and sha256 so findings show how stale it is.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.osv import AdvisoryIndex, parse_record
from mlsvs.util.hashing import sha256_file

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.supply.osv import Advisory

BUNDLED_NAME = "mlsvs-ml-advisories"
_MAX_MEMBER = 16 * 1024 * 1024
_MAX_TOTAL = 2 * 1024 * 1024 * 1024
_SNAPSHOT_FILE = "osv-pypi.zip"
_META_FILE = "osv-pypi.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryDatabase:
    """One loaded database and its provenance."""

    name: str
    date: str
    """Data date: the bundled file's review date, or the newest ``modified`` of a snapshot."""
    sha256: str
    """Digest of the file the records were read from."""
    source: str
    index: AdvisoryIndex

    def facts(self) -> tuple[tuple[str, str], ...]:
        """Facts identifying this database in a finding."""
        return (
            (f"db.{self.name}.date", self.date),
            (f"db.{self.name}.sha256", self.sha256),
            (f"db.{self.name}.records", str(self.index.count)),
        )


def load_bundled() -> AdvisoryDatabase:
    """The dated ML advisory set shipped in ``mlsvs/supply/data/ml-advisories.json``."""
    path = Path(__file__).with_name("data") / "ml-advisories.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    records = tuple(a for a in (parse_record(r) for r in data["advisories"]) if a is not None)
    return AdvisoryDatabase(
        name="bundled",
        date=str(data["reviewed"]),
        sha256=sha256_file(path),
        source=f"{BUNDLED_NAME} {data['version']}",
        index=AdvisoryIndex(records),
    )


def _records_from_zip(path: Path) -> Iterator[object]:
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                total += info.file_size
                if info.file_size > _MAX_MEMBER or total > _MAX_TOTAL:
                    raise AdvisoryError("archive member too large (zip bomb?)", path=str(path))
                yield json.loads(archive.read(info))
    except (zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise AdvisoryError(f"not an OSV zip of JSON records: {exc}", path=str(path)) from exc


def _records(path: Path) -> Iterator[object]:
    if path.is_dir():
        for item in sorted(path.rglob("*.json")):
            yield from _records(item)
    elif zipfile.is_zipfile(path):
        yield from _records_from_zip(path)
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AdvisoryError(f"cannot read OSV JSON: {exc}", path=str(path)) from exc
        if isinstance(data, dict) and "vulns" in data:
            data = data["vulns"]
        yield from data if isinstance(data, list) else [data]


def load_snapshot(path: Path, *, digest: str | None = None) -> AdvisoryDatabase:
    """Load an OSV snapshot (``all.zip``, a directory of records or one JSON file)."""
    if not path.exists():
        raise AdvisoryError("OSV snapshot not found", path=str(path))
    advisories: list[Advisory] = []
    for raw in _records(path):
        try:
            advisory = parse_record(raw)
        except AdvisoryError as exc:
            raise AdvisoryError(exc.message, path=str(path)) from exc
        if advisory is not None:
            advisories.append(advisory)
    if not advisories:
        raise AdvisoryError("no PyPI advisories in the snapshot", path=str(path))
    newest = max(a.modified for a in advisories)
    if digest is None:
        digest = sha256_file(path) if path.is_file() else _treesha256_file(path)
    return AdvisoryDatabase(
        name="osv",
        date=newest,
        sha256=digest,
        source=str(path),
        index=AdvisoryIndex(tuple(advisories)),
    )


def _treesha256_file(path: Path) -> str:
    from mlsvs.supply.hashing import tree_digest

    return tree_digest(path)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$MLSVS_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlsvs``, else ``~/.cache/mlsvs``."""
    env = os.environ if environ is None else environ
    if env.get("MLSVS_CACHE_DIR"):
        return Path(env["MLSVS_CACHE_DIR"])
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "mlsvs"


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotInfo:
    """What ``advisories import`` recorded about the cached snapshot."""

    path: Path
    sha256: str
    date: str
    records: int
    imported_from: str
    imported_at: str


def import_snapshot(source: Path, *, cache: Path, imported_at: str) -> SnapshotInfo:
    """Validate ``source`` and copy it into the cache (a zip, or a zip built from JSON files)."""
    database = load_snapshot(source)  # validates before anything is replaced
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / _SNAPSHOT_FILE
    partial = target.with_suffix(".partial")
    if zipfile.is_zipfile(source):
        shutil.copyfile(source, partial)
    else:
        files = sorted(source.rglob("*.json")) if source.is_dir() else [source]
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, item in enumerate(files):
                archive.write(item, arcname=f"{number:06d}-{item.name}")
    partial.replace(target)
    info = SnapshotInfo(
        path=target,
        sha256=sha256_file(target),
        date=database.date,
        records=database.index.count,
        imported_from=str(source),
        imported_at=imported_at,
    )
    meta = {k: str(getattr(info, k)) for k in info.__slots__}
    (cache / _META_FILE).write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return info


def cached_snapshot(cache: Path) -> SnapshotInfo | None:
    """The imported snapshot's metadata, or None when nothing was imported."""
    meta_path = cache / _META_FILE
    if not (cache / _SNAPSHOT_FILE).is_file() or not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return SnapshotInfo(
            path=cache / _SNAPSHOT_FILE,
            sha256=str(meta["sha256"]),
            date=str(meta["date"]),
            records=int(meta["records"]),
            imported_from=str(meta["imported_from"]),
            imported_at=str(meta["imported_at"]),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise AdvisoryError(f"corrupt snapshot metadata: {exc}", path=str(meta_path)) from exc


def load_databases(*, osv: Path | None, cache: Path | None) -> tuple[AdvisoryDatabase, ...]:
    """The bundled set plus the configured snapshot (``osv``) or else the cached one."""
    databases = [load_bundled()]
    if osv is not None:
        databases.append(load_snapshot(osv))
    elif cache is not None and (info := cached_snapshot(cache)) is not None:
        if sha256_file(info.path) != info.sha256:
            raise AdvisoryError(
                "cached OSV snapshot does not match its recorded sha256", path=str(info.path)
            )
        databases.append(load_snapshot(info.path, digest=info.sha256))
    return tuple(databases)
