"""File digests at hashlib speed and ``SHA256SUMS``-style manifests.

SHA-256 is the interoperable default (Hugging Face LFS, registries, CycloneDX). Files are read
with ``hashlib.file_digest`` (a C loop that releases the GIL). No threads: on a 2-vCPU
runner they gain nothing.
BLAKE3 is used only where a manifest names it and the ``blake3`` extra is installed.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from mlsvs.supply.errors import HashManifestError
from mlsvs.util.hashing import sha256_file


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...

    def digest(self) -> bytes: ...


@enum.unique
class HashAlgorithm(enum.StrEnum):
    """Digest algorithms, named as CycloneDX ``hash-alg`` spells them."""

    MD5 = "MD5"
    SHA1 = "SHA-1"
    SHA256 = "SHA-256"
    SHA384 = "SHA-384"
    SHA512 = "SHA-512"
    SHA3_256 = "SHA3-256"
    SHA3_512 = "SHA3-512"
    BLAKE2B_256 = "BLAKE2b-256"
    BLAKE2B_512 = "BLAKE2b-512"
    BLAKE3 = "BLAKE3"

    @property
    def weak(self) -> bool:
        """MD5 and SHA-1 are collision-broken: never accepted as integrity evidence alone."""
        return self in {HashAlgorithm.MD5, HashAlgorithm.SHA1}

    @classmethod
    def parse(cls, text: str) -> HashAlgorithm:
        """Accept CycloneDX, OpenSSL and model-signing spellings (``sha256``, ``SHA-256``)."""
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        for alg in cls:
            if re.sub(r"[^a-z0-9]", "", alg.value.lower()) == key:
                return alg
        aliases = {"blake2b": cls.BLAKE2B_512, "blake2": cls.BLAKE2B_512}
        if key in aliases:
            return aliases[key]
        raise ValueError(f"unsupported hash algorithm {text!r}")


def _hashlib_new(alg: HashAlgorithm) -> _Hasher:
    match alg:
        case HashAlgorithm.BLAKE2B_256:
            return hashlib.blake2b(digest_size=32)
        case HashAlgorithm.BLAKE2B_512:
            return hashlib.blake2b(digest_size=64)
        case HashAlgorithm.BLAKE3:
            raise AssertionError("BLAKE3 is not a hashlib algorithm")
        case _:
            name = alg.value.lower().replace("-", "").replace("sha3", "sha3_")
            return hashlib.new(name, usedforsecurity=not alg.weak)


def file_digest(path: Path, alg: HashAlgorithm = HashAlgorithm.SHA256) -> str:
    """Hex digest of one file. Raises ``OSError`` if unreadable, ``RuntimeError`` without blake3."""
    if alg is HashAlgorithm.BLAKE3:
        try:
            import blake3
        except ImportError as exc:  # the optional extra is absent: caller decides (fail closed)
            raise RuntimeError(
                "BLAKE3 digests need the 'fast-hash' extra (pip install blake3)"
            ) from exc
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(str(path))
        return str(hasher.hexdigest())
    if alg is HashAlgorithm.SHA256:
        # Shared, per-process cache keyed by (path, size, mtime): a verify run hashes each
        # model once although the BOM, checksum, signing checks and the report all need it.
        return sha256_file(path)
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: _hashlib_new(alg)).hexdigest()  # type: ignore[arg-type,return-value]


def tree_digest(directory: Path, alg: HashAlgorithm = HashAlgorithm.SHA256) -> str:
    """Digest of a directory: ``alg`` over sorted ``"<relpath>\\0<file digest>\\n"`` lines.

    Used for directory-shaped models (TF SavedModel). Symlinks are refused: a link could point
    anywhere, and silently hashing its target would make the digest meaningless.
    """
    lines: list[str] = []
    for item in sorted(directory.rglob("*")):
        if item.is_symlink():
            raise OSError(f"{item}: symbolic link inside a hashed directory")
        if item.is_file():
            rel = item.relative_to(directory).as_posix()
            lines.append(f"{rel}\0{file_digest(item, alg)}\n")
    outer = _hashlib_new(alg) if alg is not HashAlgorithm.BLAKE3 else hashlib.sha256()
    outer.update("".join(lines).encode())
    return outer.hexdigest()


MODEL_SIGNING_IGNORED = (".git", ".github", ".gitattributes", ".gitignore")
"""Top-level names OpenSSF model-signing leaves out of a directory manifest by default."""


SIGNATURE_SUFFIXES = (".sig", ".sigstore", ".sigstore.json")


def signatures_inside(directory: Path) -> tuple[str, ...]:
    """Signature files (``*.sig``, ``*.sigstore``, ``*.sigstore.json``) below ``directory``,
    relative to it: a model directory's digest leaves them out, as model-signing leaves out
    the signature it writes into the directory."""
    return tuple(
        sorted(
            p.relative_to(directory).as_posix()
            for p in directory.rglob("*")
            if p.name.endswith(SIGNATURE_SUFFIXES) and p.is_file() and not p.is_symlink()
        )
    )


def manifest_digest(directory: Path, *, exclude: tuple[str, ...] = ()) -> str:
    """The OpenSSF model-signing root digest of a directory (``files`` serialization, SHA-256).

    Every regular file below ``directory`` is hashed with SHA-256; the files are ordered by
    their relative path compared part by part (``a/b`` before ``a-b``, as model-signing
    orders ``pathlib`` paths) and the root digest is the SHA-256 of their raw 32-byte
    digests concatenated in that order. Top-level ``.git``, ``.github``, ``.gitattributes``
    and ``.gitignore`` are left out, as model-signing does, and so are the ``exclude`` paths
    (relative POSIX paths, e.g. a signature file inside the model directory). The result
    equals the subject digest of ``model_signing sign`` over the same directory, so another
    tool can reproduce it, and ``mlsvs verify-signature`` and the BOM name the same digest.
    Symbolic links are refused, as model-signing refuses them by default.
    """
    skipped = set(exclude)
    files: list[tuple[PurePosixPath, Path]] = []
    for item in directory.rglob("*"):
        rel = PurePosixPath(item.relative_to(directory).as_posix())
        if rel.parts[0] in MODEL_SIGNING_IGNORED or str(rel) in skipped:
            continue
        if item.is_symlink():
            raise OSError(f"{item}: symbolic link inside a hashed directory")
        if item.is_file():
            files.append((rel, item))
    root = hashlib.sha256()
    for _rel, item in sorted(files, key=lambda pair: pair[0]):
        root.update(bytes.fromhex(file_digest(item)))
    return root.hexdigest()


def digest(path: Path, alg: HashAlgorithm = HashAlgorithm.SHA256) -> str:
    """``file_digest`` for files, ``tree_digest`` for directories."""
    return tree_digest(path, alg) if path.is_dir() else file_digest(path, alg)


@dataclass(frozen=True, slots=True, kw_only=True)
class SumEntry:
    """One line of a checksum manifest."""

    name: str
    """Path as written, relative to the manifest's directory."""
    digest: str
    algorithm: HashAlgorithm
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SumsResult:
    """Outcome of re-hashing every entry of one manifest."""

    matched: tuple[str, ...]
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]
    unsafe: tuple[str, ...]
    """Entries whose path is absolute or leaves the manifest's directory."""

    @property
    def ok(self) -> bool:
        """True when every entry exists and matches."""
        return not (self.mismatched or self.missing or self.unsafe) and bool(self.matched)


_GNU = re.compile(r"^(?P<hex>[0-9a-fA-F]{32,128}) (?:\*| )(?P<name>.+)$")
_BSD = re.compile(r"^(?P<alg>[A-Za-z0-9-]+) ?\((?P<name>.+)\) ?= ?(?P<hex>[0-9a-fA-F]{32,128})$")
_BY_LENGTH = {32: HashAlgorithm.MD5, 40: HashAlgorithm.SHA1, 64: HashAlgorithm.SHA256,
              96: HashAlgorithm.SHA384, 128: HashAlgorithm.SHA512}  # fmt: skip


def parse_sums(
    text: str, *, source: str, default: HashAlgorithm | None = None
) -> tuple[SumEntry, ...]:
    """Parse GNU (``<hex>  name``) or BSD (``SHA256 (name) = <hex>``) checksum lines.

    ``default`` is the algorithm implied by the file name (``SHA256SUMS``, ``*.sha256``);
    otherwise the digest length decides.
    """
    entries: list[SumEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := _BSD.match(line):
            try:
                alg = HashAlgorithm.parse(match["alg"])
            except ValueError as exc:
                raise HashManifestError(str(exc), path=source, line=number) from exc
        elif match := _GNU.match(line):
            guessed = _BY_LENGTH.get(len(match["hex"]))
            alg_or_none = default or guessed
            if alg_or_none is None:
                raise HashManifestError(
                    "digest length matches no algorithm", path=source, line=number
                )
            alg = alg_or_none
        else:
            raise HashManifestError("not a checksum line", path=source, line=number)
        entries.append(
            SumEntry(
                name=match["name"].strip(), digest=match["hex"].lower(), algorithm=alg, line=number
            )
        )
    if not entries:
        raise HashManifestError("no checksum entries", path=source)
    return tuple(entries)


def _inside(base: Path, name: str) -> Path | None:
    pure = PurePosixPath(name.removeprefix("./"))
    if pure.is_absolute() or ".." in pure.parts:
        return None
    return base.joinpath(*pure.parts)


def verify_sums(base: Path, entries: tuple[SumEntry, ...]) -> SumsResult:
    """Re-hash each entry relative to ``base`` and sort the entries by result."""
    matched: list[str] = []
    mismatched: list[str] = []
    missing: list[str] = []
    unsafe: list[str] = []
    for entry in entries:
        target = _inside(base, entry.name)
        if target is None or entry.algorithm.weak:
            unsafe.append(entry.name)
            continue
        if not target.is_file():
            missing.append(entry.name)
            continue
        actual = file_digest(target, entry.algorithm)
        (matched if actual == entry.digest else mismatched).append(entry.name)
    return SumsResult(
        matched=tuple(sorted(matched)),
        mismatched=tuple(sorted(mismatched)),
        missing=tuple(sorted(missing)),
        unsafe=tuple(sorted(unsafe)),
    )
