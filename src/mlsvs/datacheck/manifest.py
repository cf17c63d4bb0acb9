"""The dataset manifest: a JSON file of content hashes, written and verified by ``mlsvs data``.

Format (version 1)::

    {"format": "mlsvs-data-manifest", "version": 1, "created": "2026-11-25T18:00:00Z",
     "algorithm": "sha256", "roots": ["data"],
     "files": {"data/train.csv": {"sha256": "<hex>", "size": 8358, "rows": 400,
                                  "records": {"header": "<16 hex>", "rows": 400,
                                              "chunk_rows": 1024, "chunks": ["<hex>"],
                                              "root": "<hex>", "hashes": ["<16 hex>", ...]}}}}

Paths are POSIX, relative to the manifest's directory, and may not leave it. ``roots`` are the
paths the manifest was made from: verification walks them again to find added files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataFileError, ManifestFormatError
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.records import RecordHashes, hash_records
from mlsvs.datacheck.table import TABULAR_FORMATS, format_of, source_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mlsvs.datacheck.progress import Progress

MANIFEST_NAMES = frozenset({"mlsvs-data-manifest.json", "datasets.manifest.json"})
FORMAT = "mlsvs-data-manifest"
VERSION = 1
_READ = 1 << 20
_SKIP_DIRS = frozenset({".git", ".dvc", "__pycache__", ".venv", "venv", "node_modules"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FileEntry:
    """One file of a manifest."""

    path: str
    sha256: str
    size: int
    rows: int | None = None
    records: RecordHashes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A parsed manifest."""

    created: str
    roots: tuple[str, ...]
    files: tuple[FileEntry, ...]


def sha256_stream(path: Path, progress: Progress = silent, label: str = "") -> str:
    """SHA-256 of a file read in 1 MiB blocks, reporting bytes done."""
    digest = hashlib.sha256()
    done = 0
    total = path.stat().st_size
    with path.open("rb") as handle:
        while block := handle.read(_READ):
            digest.update(block)
            done += len(block)
            progress(label or path.name, done, total)
    return digest.hexdigest()


def safe_relative(base: Path, name: str) -> Path | None:
    """``base / name`` when ``name`` is relative and stays inside ``base``; None otherwise."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    return base.joinpath(*pure.parts)


def collect_files(base: Path, roots: Iterable[str], *, exclude: Path | None = None) -> list[str]:
    """Files under ``roots`` (relative to ``base``), sorted, hidden and tool dirs skipped."""
    found: set[str] = set()
    for root in roots:
        target = safe_relative(base, root) if root != "." else base
        if target is None:
            raise DataFileError(f"{root}: path leaves the manifest's directory")
        if target.is_file():
            found.add(PurePosixPath(root).as_posix())
            continue
        if not target.is_dir():
            continue
        for path in target.rglob("*"):
            rel = path.relative_to(base)
            if any(p in _SKIP_DIRS or p.startswith(".") for p in rel.parts):
                continue
            if path.is_file() and not path.is_symlink() and path != exclude:
                if path.name in MANIFEST_NAMES:
                    continue
                found.add(rel.as_posix())
    return sorted(found)


def build_manifest(
    base: Path,
    roots: Sequence[str],
    *,
    records: bool = False,
    now: dt.datetime,
    exclude: Path | None = None,
    progress: Progress = silent,
) -> Manifest:
    """Hash every file under ``roots``; with ``records``, hash tabular files row by row."""
    entries: list[FileEntry] = []
    for name in collect_files(base, roots, exclude=exclude):
        path = base / name
        digest = sha256_stream(path, progress, name)
        hashes: RecordHashes | None = None
        if records and format_of(name) in TABULAR_FORMATS:
            hashes = hash_records(source_for(path, name), progress=progress)
        entries.append(
            FileEntry(
                path=name,
                sha256=digest,
                size=path.stat().st_size,
                rows=hashes.rows if hashes else None,
                records=hashes,
            )
        )
    created = now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Manifest(created=created, roots=tuple(roots), files=tuple(entries))


def dump_manifest(manifest: Manifest) -> str:
    """Serialise a manifest (stable key order, one file per line block)."""
    files: dict[str, object] = {}
    for entry in manifest.files:
        item: dict[str, object] = {"sha256": entry.sha256, "size": entry.size}
        if entry.rows is not None:
            item["rows"] = entry.rows
        if entry.records is not None:
            r = entry.records
            item["records"] = {
                "header": r.header,
                "rows": r.rows,
                "chunk_rows": r.chunk_rows,
                "chunks": list(r.chunks),
                "root": r.root,
                "hashes": list(r.records),
            }
        files[entry.path] = item
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "created": manifest.created,
        "algorithm": "sha256",
        "roots": list(manifest.roots),
        "files": files,
    }
    return json.dumps(doc, indent=1) + "\n"


def load_manifest(path: Path, display: str) -> Manifest:
    """Parse a manifest; ``ManifestFormatError`` naming the file when it is malformed."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestFormatError(f"{display}: unreadable manifest: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ManifestFormatError(f"{display}: not an {FORMAT} file (missing 'format')")
    if doc.get("version") != VERSION or doc.get("algorithm") != "sha256":
        raise ManifestFormatError(f"{display}: unsupported version or algorithm")
    files = doc.get("files")
    roots = doc.get("roots", [])
    if not isinstance(files, dict) or not isinstance(roots, list):
        raise ManifestFormatError(f"{display}: 'files' must be an object, 'roots' a list")
    entries = tuple(_entry(display, name, value) for name, value in sorted(files.items()))
    return Manifest(
        created=str(doc.get("created", "")), roots=tuple(map(str, roots)), files=entries
    )


def _entry(display: str, name: str, value: object) -> FileEntry:
    if not isinstance(value, dict):
        raise ManifestFormatError(f"{display}: entry {name!r} must be an object")
    digest, size = value.get("sha256"), value.get("size")
    if not isinstance(digest, str) or len(digest) != 64 or not isinstance(size, int):
        raise ManifestFormatError(f"{display}: entry {name!r} needs 'sha256' (64 hex) and 'size'")
    rows = value.get("rows")
    return FileEntry(
        path=name,
        sha256=digest.lower(),
        size=size,
        rows=rows if isinstance(rows, int) else None,
        records=_records(display, name, value.get("records")),
    )


def _records(display: str, name: str, raw: object) -> RecordHashes | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ManifestFormatError(f"{display}: {name}: 'records' must be an object")
    try:
        hashes = _str_list(raw["hashes"])
        chunks = _str_list(raw["chunks"])
        result = RecordHashes(
            header=str(raw["header"]),
            rows=int(raw["rows"]),
            chunk_rows=int(raw["chunk_rows"]),
            chunks=chunks,
            root=str(raw["root"]),
            records=hashes,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestFormatError(f"{display}: {name}: malformed 'records': {exc}") from None
    if result.rows != len(hashes) or result.chunk_rows < 1:
        raise ManifestFormatError(f"{display}: {name}: 'records' row count does not match")
    return result


def _str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def manifest_mapping(manifest: Manifest) -> Mapping[str, FileEntry]:
    """Entries by path."""
    return {e.path: e for e in manifest.files}
