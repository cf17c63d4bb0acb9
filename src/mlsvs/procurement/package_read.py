"""Read an evidence package (ZIP or directory) without extracting anything to disk."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.errors import MlsvsError
from mlsvs.procurement.layout import ENVELOPE, MAX_BLOB, SHA256, SIGSTORE_BUNDLE, blob_name

if TYPE_CHECKING:
    from pathlib import Path


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
    members: dict[str, bytes] = {}
    display = str(path)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
            rel = file.relative_to(path).as_posix()
            if file.is_symlink():
                raise PackageError(f"package member {rel} is a symbolic link", path=display)
            if file.stat().st_size > MAX_BLOB:
                raise PackageError(f"package member {rel} is too large", path=display)
            members[rel] = file.read_bytes()
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    if info.file_size > MAX_BLOB:
                        raise PackageError(
                            f"package member {info.filename} is too large", path=display
                        )
                    members[info.filename] = archive.read(info)
        except FileNotFoundError:
            raise PackageError("package not found", path=display) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise PackageError(f"not a readable package ZIP: {exc}", path=display) from None
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
