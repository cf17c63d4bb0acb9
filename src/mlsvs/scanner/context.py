"""Per-file scanning state shared by the format handlers: sources, budgets and limits."""

from __future__ import annotations

import io
import mmap
import posixpath
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from mlsvs.scanner.pickle_vm import Budget, heap_now
from mlsvs.scanner.report import ScanFinding, ScanOptions, finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.model.formats import ModelFormat


class Recurse(Protocol):
    """How a format handler scans nested content: the dispatcher, handed in by whoever
    creates the context (so the format modules never import the dispatcher back)."""

    def __call__(
        self, ctx: Ctx, src: ByteSource, member: str | None, depth: int, *, nested_payload: bool
    ) -> ModelFormat: ...


class Window(io.RawIOBase):
    """A read-only view of ``size`` bytes at ``offset`` of a seekable stream (a stored archive
    member read in place, without copying it into memory)."""

    def __init__(self, fh: BinaryIO, offset: int, size: int) -> None:
        super().__init__()
        self._fh = fh
        self._offset = offset
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        left = max(0, self._size - self._pos)
        n = left if n < 0 else min(n, left)
        if n == 0:
            return b""
        self._fh.seek(self._offset + self._pos)
        data = self._fh.read(n)
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(slots=True)
class ByteSource:
    """A seekable binary stream and its size (a file, a window of one, or in-memory bytes)."""

    fh: BinaryIO
    size: int
    in_memory: bool = False
    """The bytes already live in memory (counted against the scan's memory budget)."""

    @classmethod
    def of(cls, data: bytes) -> ByteSource:
        """Wrap in-memory bytes (``BytesIO`` shares the buffer: no copy)."""
        return cls(io.BytesIO(data), len(data), in_memory=True)

    @classmethod
    def window(cls, fh: BinaryIO, offset: int, size: int) -> ByteSource:
        """``size`` bytes at ``offset`` of ``fh``, read on demand."""
        return cls(io.BufferedReader(Window(fh, offset, size), 1 << 16), size)

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset``."""
        self.fh.seek(offset)
        return self.fh.read(n)


@dataclass(slots=True, kw_only=True)
class Ctx:
    """Findings, budgets and limits of the scan of one top-level path."""

    options: ScanOptions
    recurse: Recurse
    """The dispatcher: identifies nested content and runs its handler."""
    base_dir: Path
    """Directory of the top-level file (ONNX external data is resolved against it)."""
    budget: Budget
    findings: list[ScanFinding] = field(default_factory=list)
    total_bytes: int = 0
    live_bytes: int = 0
    """Decompressed bytes currently held in memory (all nesting levels together)."""
    path: Path | None = None
    """The top-level file being scanned (None for in-memory payloads)."""
    content: str = ""
    """What a file that is not a model was recognised as ("PNG image", "text", ...)."""
    maps: list[mmap.mmap] = field(default_factory=list)

    @classmethod
    def new(
        cls, options: ScanOptions, base_dir: Path, path: Path | None = None, *, recurse: Recurse
    ) -> Ctx:
        """Fresh context for one path; ``recurse`` scans nested content (the dispatcher)."""
        deadline = time.monotonic() + options.max_seconds if options.max_seconds > 0 else None
        budget = Budget(opcodes=options.max_opcodes, deadline=deadline, heap_base=heap_now())
        return cls(options=options, recurse=recurse, base_dir=base_dir, budget=budget, path=path)

    def scan_source(
        self, src: ByteSource, member: str | None, depth: int, *, nested_payload: bool = False
    ) -> ModelFormat:
        """Scan nested content read from ``src`` (a member in place, a window of a file)."""
        return self.recurse(self, src, member, depth, nested_payload=nested_payload)

    def scan_bytes(
        self, data: bytes, member: str | None, depth: int, *, nested_payload: bool = False
    ) -> ModelFormat:
        """Scan an in-memory payload (archive member, decompressed wrapper, nested pickle)."""
        return self.scan_source(ByteSource.of(data), member, depth, nested_payload=nested_payload)

    def add(self, item: ScanFinding) -> None:
        """Record a finding."""
        self.findings.append(item)

    def available(self) -> int:
        """Bytes a new in-memory buffer may have now (per-member and live limits)."""
        return max(
            0, min(self.options.max_member_bytes, self.options.max_memory_bytes - self.live_bytes)
        )

    def fits(self, n: int, member: str | None, what: str = "member") -> bool:
        """Whether an ``n``-byte buffer may be materialised; otherwise an ARC001 finding."""
        limit = self.available()
        if n <= limit:
            return True
        self.add(
            finding(
                ScanRule.ARC001,
                f"{what} of {n} bytes exceeds the in-memory limit ({limit} bytes available of "
                f"{self.options.max_memory_bytes}); not verified",
                member=member,
            )
        )
        return False

    @contextmanager
    def holding(self, n: int) -> Iterator[None]:
        """Count ``n`` decompressed bytes as live while the block scans them."""
        self.live_bytes += n
        try:
            yield
        finally:
            self.live_bytes -= n

    def charge(self, n: int, member: str | None) -> bool:
        """Account ``n`` decompressed bytes; False (and an ARC001 finding) past the limit."""
        self.total_bytes += n
        if self.total_bytes > self.options.max_total_bytes:
            self.add(
                finding(
                    ScanRule.ARC001,
                    "total decompressed size limit reached; the rest was not verified",
                    member=member,
                )
            )
            return False
        return True

    def read_all(self, src: ByteSource, member: str | None) -> bytes | None:
        """The whole source as a bytes-like buffer.

        In-memory sources are returned as they are; a plain file is memory-mapped (page cache,
        not scanner memory); a window of one is read within the memory budget.
        """
        if src.in_memory:
            return src.read_at(0, src.size)
        if member is None and src.size:
            mapped = self._map(src)
            if mapped is not None:
                return mapped  # type: ignore[return-value]
        if not self.fits(src.size, member, "content"):
            return None
        return src.read_at(0, src.size)

    def _map(self, src: ByteSource) -> mmap.mmap | None:
        try:
            fileno = src.fh.fileno()
        except (OSError, AttributeError, io.UnsupportedOperation):
            return None
        try:
            mapped = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        self.maps.append(mapped)
        return mapped

    def close(self) -> None:
        """Release memory maps."""
        for mapped in self.maps:
            try:
                mapped.close()
            except BufferError:  # a view is still alive; the GC closes it
                continue
        self.maps.clear()


def child(parent: str | None, name: str) -> str:
    """Label of a nested member: ``outer!inner``."""
    return name if not parent else f"{parent}!{name}"


def unsafe_member_name(name: str) -> bool:
    """Absolute, drive-letter or parent-escaping member names (zip-slip)."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return True
    return posixpath.normpath(norm).split("/")[0] == ".." if norm else False
