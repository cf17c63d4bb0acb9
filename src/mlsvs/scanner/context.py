"""Per-file scanning state shared by the format handlers."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from mlsvs.scanner.pickle_vm import Budget
from mlsvs.scanner.report import ScanFinding, ScanOptions, finding
from mlsvs.scanner.rules import Rule


@dataclass(slots=True)
class Source:
    """A seekable binary stream and its size (a file, or bytes from an archive)."""

    fh: BinaryIO
    size: int

    @classmethod
    def of(cls, data: bytes) -> Source:
        """Wrap in-memory bytes."""
        return cls(io.BytesIO(data), len(data))

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset``."""
        self.fh.seek(offset)
        return self.fh.read(n)


@dataclass(slots=True, kw_only=True)
class Ctx:
    """Findings, budgets and limits of the scan of one top-level path."""

    options: ScanOptions
    base_dir: Path
    """Directory of the top-level file (ONNX external data is resolved against it)."""
    budget: Budget
    findings: list[ScanFinding] = field(default_factory=list)
    total_bytes: int = 0
    path: Path | None = None
    """The top-level file being scanned (None for in-memory payloads)."""
    content: str = ""
    """What a file that is not a model was recognised as ("PNG image", "text", ...)."""

    @classmethod
    def new(cls, options: ScanOptions, base_dir: Path, path: Path | None = None) -> Ctx:
        """Fresh context for one path."""
        return cls(
            options=options,
            base_dir=base_dir,
            budget=Budget(opcodes=options.max_opcodes),
            path=path,
        )

    def add(self, item: ScanFinding) -> None:
        """Record a finding."""
        self.findings.append(item)

    def charge(self, n: int, member: str | None) -> bool:
        """Account ``n`` decompressed bytes; False (and an ARC001 finding) past the limit."""
        self.total_bytes += n
        if self.total_bytes > self.options.max_total_bytes:
            self.add(
                finding(
                    Rule.ARC001,
                    "total decompressed size limit reached; the rest was not verified",
                    member=member,
                )
            )
            return False
        return True

    def read_all(self, src: Source, member: str | None) -> bytes | None:
        """The whole source, or None (with an ARC001 finding) if it exceeds the member limit."""
        if src.size > self.options.max_member_bytes:
            self.add(
                finding(
                    Rule.ARC001,
                    f"{src.size} bytes exceed the per-member limit "
                    f"({self.options.max_member_bytes}); not verified",
                    member=member,
                )
            )
            return None
        return src.read_at(0, src.size)


def child(parent: str | None, name: str) -> str:
    """Label of a nested member: ``outer!inner``."""
    return name if not parent else f"{parent}!{name}"
