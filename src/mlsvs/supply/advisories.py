"""Advisory databases: the bundled ML advisories, a local OSV snapshot and supplements.

* The **bundled** file is a floor: it can fail a package, never pass one (it covers a few dozen
  ML packages, so "no record" there means "no data", not "no vulnerability").
* An **OSV PyPI export** (``all.zip`` from ``osv-vulnerabilities.storage.googleapis.com``,
  fetched by ``mlsvs advisories update`` or imported) is *complete* for PyPI: a package without a
  record in it has no known vulnerability, as long as the export is recent enough.
* **Supplements** (extra OSV feeds: a GHSA archive, a project's own advisories) add records; like
  the floor they can fail a package but are never taken as complete.

Every database carries its date and sha256 so findings show how stale it is. Records are
validated against the OSV schema; the packages named by a record that fails are reported as
not covered rather than silently losing the advisory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.osv import Advisory, AdvisoryIndex, Index, parse_record
from mlsvs.supply.osvschema import package_names, record_problems
from mlsvs.supply.requirements import canonical
from mlsvs.util.hashing import sha256_file

if TYPE_CHECKING:
    from collections.abc import Iterator


BUNDLED_NAME = "mlsvs-ml-advisories"
_MAX_MEMBER = 16 * 1024 * 1024
_MAX_TOTAL = 2 * 1024 * 1024 * 1024
_MAX_MEMBERS = 500_000
_MAX_INVALID_FRACTION = 0.01
"""More invalid records than this means a corrupt or foreign export: refuse it whole."""
_SNAPSHOT_FILE = "osv-pypi.zip"
_META_FILE = "osv-pypi.json"
ECOSYSTEM = "PyPI"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryDatabase:
    """One loaded database and its provenance."""

    name: str
    date: str
    """Data date: the bundled file's review date, or the newest ``modified`` of a snapshot."""
    sha256: str
    """Digest of the file the records were read from."""
    source: str
    index: Index
    complete_for: frozenset[str] = frozenset()
    """Ecosystems where a package without a record has no known vulnerability (the full OSV
    export: ``{"PyPI"}``). Empty for the bundled floor and supplements."""
    complete_pairs: frozenset[tuple[str, str]] = frozenset()
    """``(name, version)`` pairs answered completely (the online OSV API)."""
    uncovered: frozenset[str] = frozenset()
    """Packages named by records that failed validation: never complete for them."""
    invalid_records: int = 0

    def covers(self, name: str, version: str, ecosystem: str = ECOSYSTEM) -> bool:
        """Whether "no record here" means "no known vulnerability" for ``name==version``."""
        if canonical(name) in self.uncovered:
            return False
        return ecosystem in self.complete_for or (canonical(name), version) in self.complete_pairs

    @property
    def complete(self) -> bool:
        """Whether this database can ever pass a package."""
        return bool(self.complete_for or self.complete_pairs)

    def facts(self) -> tuple[tuple[str, str], ...]:
        """Facts identifying this database in a finding."""
        return (
            (f"db.{self.name}.date", self.date),
            (f"db.{self.name}.sha256", self.sha256),
            (f"db.{self.name}.records", str(self.index.count)),
            (f"db.{self.name}.complete", ",".join(sorted(self.complete_for)) or "no"),
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


def _records_from_zip(path: Path) -> Iterator[tuple[str, object]]:
    """``(member name, parsed JSON)``; bounded sizes, CRC checked by ``ZipFile.read``."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise AdvisoryError(f"more than {_MAX_MEMBERS} archive members", path=str(path))
            total = 0
            for info in infos:
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                total += info.file_size
                if info.file_size > _MAX_MEMBER or total > _MAX_TOTAL:
                    raise AdvisoryError("archive member too large (zip bomb?)", path=str(path))
                raw = archive.read(info)
                if len(raw) != info.file_size:
                    raise AdvisoryError(f"{info.filename}: size mismatch", path=str(path))
                try:
                    yield info.filename, json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield info.filename, _Unreadable(str(exc))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise AdvisoryError(f"not an intact OSV zip: {exc}", path=str(path)) from exc


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A member that is not JSON (counted as an invalid record)."""

    reason: str


def _records(path: Path) -> Iterator[tuple[str, object]]:
    if path.is_dir():
        for item in sorted(path.rglob("*.json")):
            yield from _records(item)
    elif zipfile.is_zipfile(path):
        yield from _records_from_zip(path)
    else:
        try:
            if path.stat().st_size > _MAX_TOTAL:
                raise AdvisoryError("file too large", path=str(path))
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AdvisoryError(f"cannot read OSV JSON: {exc}", path=str(path)) from exc
        if isinstance(data, dict) and "vulns" in data:
            data = data["vulns"]
        for item in data if isinstance(data, list) else [data]:
            yield path.name, item


@dataclass(frozen=True, slots=True, kw_only=True)
class Verified:
    """The valid advisories of a source and what failed validation."""

    advisories: tuple[Advisory, ...]
    records: int
    invalid: tuple[tuple[str, str], ...]
    """``(member, first problem)`` per record that failed OSV validation."""
    uncovered: frozenset[str]
    newest: str
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Package name -> archive members holding its advisories (for the sidecar index)."""


def verify_records(path: Path) -> Verified:
    """Read and validate every record of a snapshot (zip, directory or JSON file)."""
    if not path.exists():
        raise AdvisoryError("OSV snapshot not found", path=str(path))
    advisories: list[Advisory] = []
    invalid: list[tuple[str, str]] = []
    uncovered: set[str] = set()
    seen: set[str] = set()
    members: dict[str, list[str]] = {}
    records = 0
    for member, raw in _records(path):
        records += 1
        problems = (
            [f"not JSON: {raw.reason}"] if isinstance(raw, _Unreadable) else record_problems(raw)
        )
        if not problems and isinstance(raw, dict) and raw["id"] in seen:
            problems = [f"duplicate id {raw['id']}"]
        if problems:
            invalid.append((member, problems[0]))
            uncovered.update(canonical(n) for n in package_names(raw, ECOSYSTEM))
            continue
        assert isinstance(raw, dict)  # noqa: S101 - record_problems checked it
        seen.add(raw["id"])
        advisory = parse_record(raw, ecosystem=ECOSYSTEM)
        if advisory is not None:
            advisories.append(advisory)
            for name in {a.name for a in advisory.affected}:
                members.setdefault(name, []).append(member)
    if records == 0:
        raise AdvisoryError("no OSV records in the snapshot", path=str(path))
    if len(invalid) > max(1, int(records * _MAX_INVALID_FRACTION)):
        member, problem = invalid[0]
        raise AdvisoryError(
            f"{len(invalid)} of {records} records fail OSV validation (first: {member}: {problem})",
            path=str(path),
        )
    newest = max((a.modified for a in advisories), default="")
    return Verified(
        advisories=tuple(advisories),
        records=records,
        invalid=tuple(invalid),
        uncovered=frozenset(uncovered),
        newest=newest,
        members={name: tuple(items) for name, items in members.items()},
    )


def _index_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".index.json")


def _write_index(
    archive: Path, digest: str, verified: Verified, *, target: Path | None = None
) -> None:
    """A sidecar naming, per package, the members to read: a run loads only what it needs.

    Written after the whole archive was validated; bound to the archive by its sha256.
    ``target``: where to write it (default: next to the archive).
    """
    doc = {
        "sha256": digest,
        "newest": verified.newest,
        "records": len(verified.advisories),
        "invalid": len(verified.invalid),
        "uncovered": sorted(verified.uncovered),
        "packages": {name: list(items) for name, items in sorted(verified.members.items())},
    }
    final = target or _index_path(archive)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + ".partial")
    partial.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    partial.replace(final)


def _load_indexed(
    archive: Path,
    *,
    digest: str,
    name: str,
    complete: bool,
    packages: frozenset[str],
    index: Path | None = None,
) -> AdvisoryDatabase | None:
    """Load only ``packages``' records via the sidecar index; None when it is absent or stale."""
    try:
        doc = json.loads((index or _index_path(archive)).read_text(encoding="utf-8"))
        if doc.get("sha256") != digest:
            return None
        table = doc["packages"]
        wanted = sorted({m for p in packages for m in table.get(canonical(p), ())})
        advisories: list[Advisory] = []
        with zipfile.ZipFile(archive) as handle:
            for member in wanted:
                raw = json.loads(handle.read(member))
                if record_problems(raw):
                    raise AdvisoryError(f"{member}: record changed since validation")
                advisory = parse_record(raw, ecosystem=ECOSYSTEM)
                if advisory is not None:
                    advisories.append(advisory)
        return AdvisoryDatabase(
            name=name,
            date=str(doc["newest"]),
            sha256=digest,
            source=str(archive),
            index=AdvisoryIndex(tuple(advisories), count=int(doc["records"])),
            complete_for=frozenset({ECOSYSTEM}) if complete else frozenset(),
            uncovered=frozenset(str(u) for u in doc["uncovered"]),
            invalid_records=int(doc["invalid"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
        raise AdvisoryError(f"cached snapshot index unusable: {exc}", path=str(archive)) from exc


def load_snapshot(
    path: Path,
    *,
    digest: str | None = None,
    name: str = "osv",
    complete: bool = True,
    packages: frozenset[str] | None = None,
) -> AdvisoryDatabase:
    """Load an OSV snapshot (``all.zip``, a directory of records or one JSON file).

    ``complete``: the snapshot is a full ecosystem export (OSV's ``PyPI/all.zip``), so a package
    without a record has no known vulnerability. Supplements are loaded with ``False``.
    ``packages``: with a ``digest`` and a sidecar index (written by ``update``/``import``), only
    these packages' records are read.
    """
    if packages is not None and digest is not None:
        indexed = _load_indexed(
            path, digest=digest, name=name, complete=complete, packages=packages
        )
        if indexed is not None:
            return indexed
    verified = verify_records(path)
    if not verified.advisories and complete:
        raise AdvisoryError("no PyPI advisories in the snapshot", path=str(path))
    if digest is None:
        digest = sha256_file(path) if path.is_file() else _treesha256_file(path)
    return AdvisoryDatabase(
        name=name,
        date=verified.newest,
        sha256=digest,
        source=str(path),
        index=AdvisoryIndex(verified.advisories),
        complete_for=frozenset({ECOSYSTEM}) if complete else frozenset(),
        uncovered=verified.uncovered,
        invalid_records=len(verified.invalid),
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


DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
"""OSV's PyPI export: every PYSEC and GitHub-reviewed (GHSA) advisory for PyPI, merged."""
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtraInfo:
    """One supplement feed stored next to the snapshot."""

    path: Path
    url: str
    sha256: str
    date: str
    records: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotInfo:
    """What ``advisories update``/``import`` recorded about the cached snapshot."""

    path: Path
    sha256: str
    date: str
    """Newest ``modified`` among the records: how current the data is."""
    records: int
    imported_from: str
    """The URL downloaded or the file imported."""
    imported_at: str
    invalid_records: int = 0
    size: int = 0
    extras: tuple[ExtraInfo, ...] = ()

    def as_json(self) -> dict[str, object]:
        """The metadata file's content."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "date": self.date,
            "records": self.records,
            "imported_from": self.imported_from,
            "imported_at": self.imported_at,
            "invalid_records": self.invalid_records,
            "size": self.size,
            "extras": [
                {
                    "path": e.path.name,
                    "url": e.url,
                    "sha256": e.sha256,
                    "date": e.date,
                    "records": e.records,
                }
                for e in self.extras
            ],
        }


def _write_meta(cache: Path, info: SnapshotInfo) -> None:
    meta = cache / _META_FILE
    partial = meta.with_suffix(".json.partial")
    partial.write_text(json.dumps(info.as_json(), indent=2, sort_keys=True) + "\n", "utf-8")
    partial.replace(meta)


def import_snapshot(source: Path, *, cache: Path, imported_at: str) -> SnapshotInfo:
    """Validate ``source`` and copy it into the cache (a zip, or a zip built from JSON files)."""
    verified = verify_records(source)  # validates before anything is replaced
    if not verified.advisories:
        raise AdvisoryError("no PyPI advisories in the snapshot", path=str(source))
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
    digest = sha256_file(target)
    _write_index(target, digest, verified if zipfile.is_zipfile(source) else verify_records(target))
    previous = _read_meta(cache)
    info = SnapshotInfo(
        path=target,
        sha256=digest,
        date=verified.newest,
        records=len(verified.advisories),
        imported_from=str(source),
        imported_at=imported_at,
        invalid_records=len(verified.invalid),
        size=target.stat().st_size,
        extras=previous.extras if previous is not None else (),
    )
    _write_meta(cache, info)
    return info


def update_snapshot(
    *,
    cache: Path,
    osv_url: str,
    extra_urls: tuple[str, ...] = (),
    fetched_at: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 120.0,
) -> SnapshotInfo:
    """Download the OSV export (and supplements), verify them, then replace the cached copy.

    Verification before anything is replaced: HTTP status and declared length, a size bound,
    zip integrity (every member's CRC), OSV schema validation of every record, and the sha256
    recorded. A failure leaves the previous snapshot in place.
    """
    from mlsvs.supply.http import download

    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / (_SNAPSHOT_FILE + ".partial")
    extra_partials = [cache / f"osv-extra-{n}.zip.partial" for n in range(len(extra_urls))]
    try:
        main = download(osv_url, partial, max_bytes=max_bytes, timeout=timeout)
        if not zipfile.is_zipfile(partial):
            raise AdvisoryError(f"{osv_url}: not a zip archive")
        verified = verify_records(partial)
        if not verified.advisories:
            raise AdvisoryError(f"{osv_url}: no PyPI advisories in the export")
        extras: list[tuple[Path, str, str, Verified]] = []
        for url, target in zip(extra_urls, extra_partials, strict=True):
            got = download(url, target, max_bytes=max_bytes, timeout=timeout)
            extras.append((target, url, got.sha256, verify_records(target)))
    except BaseException:
        for leftover in (partial, *extra_partials):
            leftover.unlink(missing_ok=True)
        raise
    final = cache / _SNAPSHOT_FILE
    partial.replace(final)
    _write_index(final, main.sha256, verified)
    stored: list[ExtraInfo] = []
    for target, url, digest, result in extras:
        kept = target.with_suffix("")  # drop ".partial"
        target.replace(kept)
        _write_index(kept, digest, result)
        stored.append(ExtraInfo(path=kept, url=url, sha256=digest, date=result.newest,
                                records=len(result.advisories)))  # fmt: skip
    keep = {e.path.name for e in stored}
    for old in cache.glob("osv-extra-*.zip"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
            _index_path(old).unlink(missing_ok=True)
    info = SnapshotInfo(
        path=final,
        sha256=main.sha256,
        date=verified.newest,
        records=len(verified.advisories),
        imported_from=osv_url,
        imported_at=fetched_at,
        invalid_records=len(verified.invalid),
        size=main.size,
        extras=tuple(stored),
    )
    _write_meta(cache, info)
    return info


def _read_meta(cache: Path) -> SnapshotInfo | None:
    meta_path = cache / _META_FILE
    if not (cache / _SNAPSHOT_FILE).is_file() or not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        extras = tuple(
            ExtraInfo(
                path=cache / Path(str(e["path"])).name,
                url=str(e["url"]),
                sha256=str(e["sha256"]),
                date=str(e["date"]),
                records=int(e["records"]),
            )
            for e in meta.get("extras", ())
        )
        return SnapshotInfo(
            path=cache / _SNAPSHOT_FILE,
            sha256=str(meta["sha256"]),
            date=str(meta["date"]),
            records=int(meta["records"]),
            imported_from=str(meta["imported_from"]),
            imported_at=str(meta["imported_at"]),
            invalid_records=int(meta.get("invalid_records", 0)),
            size=int(meta.get("size", 0)),
            extras=extras,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AdvisoryError(f"corrupt snapshot metadata: {exc}", path=str(meta_path)) from exc


def cached_snapshot(cache: Path) -> SnapshotInfo | None:
    """The stored snapshot's metadata, or None when nothing was imported or downloaded."""
    return _read_meta(cache)


def _checked(path: Path, digest: str) -> None:
    if sha256_file(path) != digest:
        raise AdvisoryError("cached file does not match its recorded sha256", path=str(path))


def _configured_snapshot(
    osv: Path, *, cache: Path | None, packages: frozenset[str] | None
) -> AdvisoryDatabase:
    """A snapshot named in the configuration or on the command line (``--osv``).

    A zip is validated in full the first time; its package index is then kept in the cache
    under its sha256, so later runs over the same file read only the records they need.
    """
    if cache is None or packages is None or not osv.is_file() or not zipfile.is_zipfile(osv):
        return load_snapshot(osv)
    digest = sha256_file(osv)
    index = cache / "indexes" / f"{digest}.index.json"
    if index.is_file():
        found = _load_indexed(
            osv, digest=digest, name="osv", complete=True, packages=packages, index=index
        )
        if found is not None:
            return found
    verified = verify_records(osv)
    if not verified.advisories:
        raise AdvisoryError("no PyPI advisories in the snapshot", path=str(osv))
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        _write_index(osv, digest, verified, target=index)
    return AdvisoryDatabase(
        name="osv",
        date=verified.newest,
        sha256=digest,
        source=str(osv),
        index=AdvisoryIndex(verified.advisories),
        complete_for=frozenset({ECOSYSTEM}),
        uncovered=verified.uncovered,
        invalid_records=len(verified.invalid),
    )


def load_databases(
    *, osv: Path | None, cache: Path | None, packages: frozenset[str] | None = None
) -> tuple[AdvisoryDatabase, ...]:
    """The bundled floor plus the configured snapshot (``osv``) or else the cached one and its
    supplements. ``packages``: the names that will be looked up (cached snapshots then read
    only their records)."""
    databases = [load_bundled()]
    if osv is not None:
        databases.append(_configured_snapshot(osv, cache=cache, packages=packages))
    elif cache is not None and (info := cached_snapshot(cache)) is not None:
        _checked(info.path, info.sha256)
        databases.append(load_snapshot(info.path, digest=info.sha256, packages=packages))
        for number, extra in enumerate(info.extras):
            _checked(extra.path, extra.sha256)
            databases.append(
                load_snapshot(
                    extra.path,
                    digest=extra.sha256,
                    name=f"extra{number + 1}",
                    complete=False,
                    packages=packages,
                )
            )
    return tuple(databases)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisorySettings:
    """The ``[advisories]`` configuration section."""

    osv: Path | None = None
    """A snapshot to use instead of the cached one."""
    use_cache: bool = True
    max_age_days: float = 7.0
    """A complete database older than this cannot vouch for "no known vulnerability"."""
    max_age_configured: bool = False
    """Whether ``max_age_days`` was set explicitly (in verify it can only tighten the limit)."""
    online: bool = False
    """Ask the OSV API per package (needs the ``network`` capability)."""
    api_url: str = "https://api.osv.dev"


def parse_settings(section: Mapping[str, object], *, root: Path | None) -> AdvisorySettings:
    """Validate ``[advisories]``; ``osv`` is relative to the project ``root``."""
    known = {"osv", "use_cache", "max_age_days", "online", "api_url", "reports"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise AdvisoryError(f"[advisories] unknown key {unknown[0]!r} (known: {sorted(known)})")
    osv = section.get("osv")
    if osv is not None and not isinstance(osv, str):
        raise AdvisoryError("[advisories] osv must be a path string")
    use_cache = section.get("use_cache", True)
    online = section.get("online", False)
    if not isinstance(use_cache, bool) or not isinstance(online, bool):
        raise AdvisoryError("[advisories] use_cache and online must be true or false")
    age = section.get("max_age_days", 7)
    if isinstance(age, bool) or not isinstance(age, int | float) or age <= 0:
        raise AdvisoryError("[advisories] max_age_days must be a positive number of days")
    api = section.get("api_url", "https://api.osv.dev")
    if not isinstance(api, str) or not api.startswith(("http://", "https://")):
        raise AdvisoryError("[advisories] api_url must be an http(s) URL")
    path = None
    if osv:
        path = Path(osv) if root is None else root / osv
    return AdvisorySettings(
        osv=path,
        use_cache=use_cache,
        max_age_days=float(age),
        max_age_configured="max_age_days" in section,
        online=online,
        api_url=api,
    )
