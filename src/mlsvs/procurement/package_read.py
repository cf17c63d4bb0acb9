"""Read an evidence package (ZIP or directory) without extracting anything to disk."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mlsvs.errors import MlsvsError
from mlsvs.procurement.layout import (
    ENVELOPE,
    MAX_BLOB,
    MAX_MEMBERS,
    MAX_PACKAGE,
    SHA256,
    SIGSTORE_BUNDLE,
    blob_name,
)


class PackageError(MlsvsError):
    """The package is not a readable ZIP or directory, or has no envelope."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageFiles:
    """The envelope text and every blob, by the digest its name claims."""

    path: str
    envelope: bytes
    blobs: dict[str, bytes] = field(default_factory=dict)
    sigstore_bundle: bytes | None = None
    unexpected: tuple[str, ...] = ()
    """Members that are neither the envelope, the bundle nor a blob."""


def read_package(path: Path) -> PackageFiles:
    """Every member of the package (blobs larger than ``MAX_BLOB`` are refused)."""
    display = str(path)
    members = _directory(path, display) if path.is_dir() else _zip(path, display)
    envelope = members.pop(ENVELOPE, None)
    if envelope is None:
        raise PackageError(f"not an evidence package: no {ENVELOPE}", path=display)
    bundle = members.pop(SIGSTORE_BUNDLE, None)
    blobs: dict[str, bytes] = {}
    unexpected = []
    for name, data in members.items():
        digest = name.removeprefix(blob_name(""))
        if name.startswith(blob_name("")) and SHA256.match(digest):
            blobs[digest] = data
        else:
            unexpected.append(name)
    return PackageFiles(
        path=display,
        envelope=envelope,
        blobs=blobs,
        sigstore_bundle=bundle,
        unexpected=tuple(sorted(unexpected)),
    )


def _limits(name: str, size: int, total: int, count: int, display: str) -> int:
    if size > MAX_BLOB:
        raise PackageError(f"package member {name} is too large", path=display)
    if total + size > MAX_PACKAGE or count > MAX_MEMBERS:
        raise PackageError("package is larger than an evidence package may be", path=display)
    return total + size


def _directory(path: Path, display: str) -> dict[str, bytes]:
    """Every regular file under ``path``; a symbolic link or special file is refused."""
    import os
    import stat

    members: dict[str, bytes] = {}
    total = 0
    for top, dirs, files in os.walk(path, followlinks=False):
        for name in sorted(dirs + files):
            full = Path(top) / name
            rel = full.relative_to(path).as_posix()
            mode = full.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise PackageError(f"package member {rel} is a symbolic link", path=display)
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise PackageError(f"package member {rel} is not a regular file", path=display)
            total = _limits(rel, full.stat().st_size, total, len(members), display)
            members[rel] = full.read_bytes()
    return members


def _zip(path: Path, display: str) -> dict[str, bytes]:
    """Every member of the ZIP, read into memory (never extracted), within the size limits."""
    members: dict[str, bytes] = {}
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.filename in members:
                    raise PackageError(
                        f"package member {info.filename} appears twice", path=display
                    )
                total = _limits(info.filename, info.file_size, total, len(members), display)
                members[info.filename] = archive.read(info)
    except FileNotFoundError:
        raise PackageError("package not found", path=display) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"not a readable package ZIP: {exc}", path=display) from None
    return members
