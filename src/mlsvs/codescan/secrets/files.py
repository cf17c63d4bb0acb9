"""Secrets in files: code, notebooks (cells, outputs, metadata), configs, cards, safetensors."""

from __future__ import annotations

import json
import stat
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.codescan.notebook import NotebookError, parse_notebook
from mlsvs.codescan.secrets.find import SecretHit, SourceKind, find_secrets

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_SUFFIXES = frozenset(
    {".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".sh"}
)
CONFIG_NAMES = frozenset({".env", ".netrc", ".pypirc", "credentials", "Dockerfile", ".npmrc"})
TEXT_SUFFIXES = frozenset({".md", ".txt", ".rst"})
MAX_BYTES = 10 * 1024 * 1024
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class LocatedSecret:
    """A hit plus where in a structured file it is (``cell 3 output 1``, ``__metadata__/x``)."""

    hit: SecretHit
    pointer: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretFileResult:
    """The secrets found in one file, and why it could not be (fully) scanned."""

    path: str
    hits: tuple[LocatedSecret, ...] = ()
    errors: tuple[str, ...] = ()


def wanted(path: Path) -> bool:
    """Files the secrets scan reads when walking a directory."""
    suffix = path.suffix.lower()
    return (
        suffix in CONFIG_SUFFIXES
        or suffix in TEXT_SUFFIXES
        or suffix in {".py", ".ipynb", ".safetensors"}
        or path.name in CONFIG_NAMES
        or path.name.startswith(".env")
    )


def source_kind(path: Path) -> SourceKind:
    """How to read a text file."""
    suffix = path.suffix.lower()
    if suffix == ".py":
        return SourceKind.CODE
    if suffix in TEXT_SUFFIXES:
        return SourceKind.METADATA if path.name.lower() == "readme.md" else SourceKind.TEXT
    return SourceKind.CONFIG


def _located(hits: list[SecretHit], pointer: str | None) -> list[LocatedSecret]:
    return [LocatedSecret(hit=h, pointer=pointer) for h in hits]


def secrets_in_notebook(text: str, *, min_entropy: float = 3.0) -> list[LocatedSecret]:
    """Code and markdown cells, every output and the notebook metadata."""
    notebook = parse_notebook(text)
    found: list[LocatedSecret] = []
    for cell in notebook.cells:
        kind = SourceKind.CODE if cell.kind == "code" else SourceKind.TEXT
        hits = find_secrets(cell.source, source_kind=kind, min_entropy=min_entropy)
        found += _located(hits, f"cell {cell.number}")
        for index, output in enumerate(cell.outputs, start=1):
            hits = find_secrets(output, source_kind=SourceKind.TEXT, min_entropy=min_entropy)
            found += _located(hits, f"cell {cell.number} output {index}")
    hits = find_secrets(notebook.metadata, source_kind=SourceKind.CONFIG, min_entropy=min_entropy)
    return found + _located(hits, "metadata")


def safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` map of a safetensors header; ``ValueError`` when malformed."""
    if len(data) < 8:
        raise ValueError("truncated safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_SAFETENSORS_HEADER or size > len(data) - 8:
        raise ValueError(f"safetensors header length {size} is out of range")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"safetensors header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError("safetensors header is not a JSON object")
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("safetensors __metadata__ is not a string map")
    return {str(k): v for k, v in meta.items()}


def _read_header(file: Path) -> bytes:
    with file.open("rb") as stream:
        head = stream.read(8)
        if len(head) < 8:
            return head
        (size,) = struct.unpack("<Q", head)
        return head + stream.read(min(size, MAX_SAFETENSORS_HEADER))


def scan_secrets_file(file: Path, *, display: str, min_entropy: float = 3.0) -> SecretFileResult:
    """Scan one file; unreadable, undecodable or malformed files are reported as errors."""
    try:
        if not stat.S_ISREG(file.stat().st_mode):  # a FIFO would block the read forever
            return SecretFileResult(
                path=display, errors=(f"{display}: not a regular file (FIFO or device); not read",)
            )
        if file.suffix.lower() == ".safetensors":
            meta = safetensors_metadata(_read_header(file))
            found = [
                located
                for key in sorted(meta)
                for located in _located(
                    find_secrets(
                        meta[key], source_kind=SourceKind.METADATA, min_entropy=min_entropy
                    )
                    + find_secrets(
                        f"{key}: {meta[key]}",
                        source_kind=SourceKind.METADATA,
                        min_entropy=min_entropy,
                    ),
                    f"__metadata__/{key}",
                )
            ]
            return SecretFileResult(path=display, hits=tuple(_dedupe(found)))
        size = file.stat().st_size
        if size > MAX_BYTES:
            return SecretFileResult(
                path=display, errors=(f"{display}: {size} bytes exceeds the {MAX_BYTES} limit",)
            )
        text = file.read_bytes().decode("utf-8-sig")
        if file.suffix.lower() == ".ipynb":
            return SecretFileResult(
                path=display, hits=tuple(secrets_in_notebook(text, min_entropy=min_entropy))
            )
        hits = find_secrets(text, source_kind=source_kind(file), min_entropy=min_entropy)
        return SecretFileResult(path=display, hits=tuple(_located(hits, None)))
    except OSError as exc:
        return SecretFileResult(path=display, errors=(f"{display}: cannot read: {exc.strerror}",))
    except UnicodeDecodeError:
        return SecretFileResult(path=display, errors=(f"{display}: not UTF-8 text",))
    except NotebookError as exc:
        return SecretFileResult(path=display, errors=(f"{display}: {exc}",))
    except ValueError as exc:
        return SecretFileResult(path=display, errors=(f"{display}: {exc}",))


def _dedupe(found: list[LocatedSecret]) -> list[LocatedSecret]:
    seen: set[tuple[str | None, str, str]] = set()
    out: list[LocatedSecret] = []
    for item in found:
        key = (item.pointer, item.hit.kind.value, item.hit.masked)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
