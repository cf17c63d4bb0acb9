"""Verify integrity evidence: mlsvs manifests, DVC ``.dvc`` / ``dvc.lock`` files, SHA256SUMS.

Each verifier returns an ``EvidenceResult``: one ``FileCheck`` per file it covers, with paths
relative to the project root given by the caller, so coverage can be computed across sources.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataError, ManifestFormatError
from mlsvs.datacheck.manifest import (
    collect_files,
    load_manifest,
    safe_relative,
    sha256_stream,
)
from mlsvs.datacheck.progress import silent
from mlsvs.datacheck.records import RecordDiff, diff_records, hash_records
from mlsvs.datacheck.table import source_for

if TYPE_CHECKING:
    from pathlib import Path, PurePosixPath

    from mlsvs.datacheck.progress import Progress


@enum.unique
class FileState(enum.StrEnum):
    """What verification found for one file."""

    MATCH = "match"
    CHANGED = "changed"
    REMOVED = "removed"
    """Listed, but absent from the workspace (a tampering signal for mlsvs manifests)."""
    ADDED = "added"
    """Present under a manifest root, but not listed."""
    NOT_IN_WORKSPACE = "not_in_workspace"
    """A DVC output that was not pulled: no evidence either way."""
    UNVERIFIABLE = "unverifiable"
    UNSAFE = "unsafe"
    """Absolute path, a path leaving the directory, or a weak algorithm."""

    @property
    def bad(self) -> bool:
        """States that mean the data is not what the evidence says."""
        return self in {FileState.CHANGED, FileState.REMOVED, FileState.ADDED, FileState.UNSAFE}


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCheck:
    """One file's verification result."""

    path: str
    """Relative to the project root (or the manifest's directory on the CLI)."""
    state: FileState
    detail: str = ""
    records: RecordDiff | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceResult:
    """All files one evidence document covers."""

    source: str
    kind: str
    """``manifest``, ``dvc`` or ``checksums``."""
    files: tuple[FileCheck, ...]
    algorithm: str = "sha256"
    has_records: bool = False

    @property
    def ok(self) -> bool:
        """True when no file is changed, added, removed or unsafe (and the record diff is clean)."""
        return not any(f.state.bad or (f.records and not f.records.clean) for f in self.files)


def relative_display(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` (POSIX), or as given when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def verify_manifest(
    manifest_path: Path, root: Path, *, records: bool = True, progress: Progress = silent
) -> EvidenceResult:
    """Re-hash every file of an mlsvs manifest; find added files under its roots."""
    display = relative_display(root, manifest_path)
    manifest = load_manifest(manifest_path, display)
    base = manifest_path.parent
    checks: list[FileCheck] = []
    for entry in manifest.files:
        target = safe_relative(base, entry.path)
        shown = relative_display(root, target) if target is not None else entry.path
        if target is None:
            checks.append(FileCheck(path=shown, state=FileState.UNSAFE, detail="path leaves base"))
            continue
        if not target.is_file():
            checks.append(FileCheck(path=shown, state=FileState.REMOVED, detail="file is gone"))
            continue
        digest = sha256_stream(target, progress, shown)
        if digest == entry.sha256:
            checks.append(FileCheck(path=shown, state=FileState.MATCH))
            continue
        diff: RecordDiff | None = None
        if records and entry.records is not None:
            try:
                diff = diff_records(entry.records, hash_records(source_for(target, shown)))
            except DataError as exc:
                detail = f"sha256 differs; records unreadable: {exc.message}"
                checks.append(FileCheck(path=shown, state=FileState.CHANGED, detail=detail))
                continue
        detail = "sha256 differs" + (f": {diff.describe()}" if diff else "")
        checks.append(FileCheck(path=shown, state=FileState.CHANGED, detail=detail, records=diff))
    listed = {e.path for e in manifest.files}
    checks.extend(
        FileCheck(
            path=relative_display(root, base / name), state=FileState.ADDED, detail="not listed"
        )
        for name in collect_files(base, manifest.roots, exclude=manifest_path)
        if name not in listed
    )
    return EvidenceResult(
        source=display,
        kind="manifest",
        files=tuple(sorted(checks, key=lambda c: c.path)),
        has_records=any(e.records is not None for e in manifest.files),
    )


def verify_checksums(sums_path: Path, root: Path, *, progress: Progress = silent) -> EvidenceResult:
    """Verify a ``SHA256SUMS`` / ``*.sha256`` file (GNU or BSD lines)."""
    from mlsvs.supply.errors import HashManifestError
    from mlsvs.supply.hashing import HashAlgorithm, file_digest, parse_sums

    display = relative_display(root, sums_path)
    name = sums_path.name.lower()
    default = HashAlgorithm.SHA256 if "sha256" in name else None
    try:
        entries = parse_sums(sums_path.read_text(encoding="utf-8"), source=display, default=default)
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestFormatError(f"{display}: unreadable: {exc}") from None
    except HashManifestError as exc:
        raise ManifestFormatError(exc.diagnostics()) from None
    checks: list[FileCheck] = []
    for entry in entries:
        target = safe_relative(sums_path.parent, entry.name.removeprefix("./").lstrip("*"))
        shown = relative_display(root, target) if target is not None else entry.name
        if target is None or entry.algorithm.weak:
            checks.append(FileCheck(path=shown, state=FileState.UNSAFE, detail="unsafe entry"))
        elif not target.is_file():
            checks.append(FileCheck(path=shown, state=FileState.REMOVED, detail="file is gone"))
        else:
            progress(shown, 0, None)
            ok = file_digest(target, entry.algorithm) == entry.digest
            state = FileState.MATCH if ok else FileState.CHANGED
            detail = "" if ok else f"{entry.algorithm} differs"
            checks.append(FileCheck(path=shown, state=state, detail=detail))
    return EvidenceResult(
        source=display,
        kind="checksums",
        files=tuple(sorted(checks, key=lambda c: c.path)),
        algorithm=str(entries[0].algorithm),
    )


def evidence_kind(path: PurePosixPath | Path) -> str | None:
    """``manifest``, ``dvc`` or ``checksums`` from a file name, None for anything else."""
    from mlsvs.datacheck.manifest import MANIFEST_NAMES

    name = path.name
    if name in MANIFEST_NAMES:
        return "manifest"
    if name == "dvc.lock" or path.suffix == ".dvc":
        return "dvc"
    if name.upper() in {"SHA256SUMS", "SHA256SUMS.TXT"} or path.suffix.lower() == ".sha256":
        return "checksums"
    return None


def verify_evidence(path: Path, root: Path, *, progress: Progress = silent) -> EvidenceResult:
    """Dispatch on the file name; a manifest named otherwise is sniffed by its ``format`` key."""
    from mlsvs.datacheck.dvc import verify_dvc

    kind = evidence_kind(path)
    if kind == "dvc":
        return verify_dvc(path, root, progress=progress)
    if kind == "checksums":
        return verify_checksums(path, root, progress=progress)
    return verify_manifest(path, root, progress=progress)
