"""GGUF: header sanity (version, counts and lengths vs file size) and chat-template SSTI."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule
from mlsvs.scanner.template import analyze

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource, Ctx

_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_TEMPLATE = 4 * 1024 * 1024
_MAX_DIMS = 4


class GgufError(Exception):
    """The header is inconsistent with the file."""


class _Reader:
    def __init__(self, src: ByteSource, version: int) -> None:
        self.src = src
        self.pos = 8
        self.wide = version >= 2

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.src.size:
            raise GgufError(f"length {n} at {self.pos:#x} runs past the end of the file")
        data = self.src.read_at(self.pos, n)
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.src.size:
            raise GgufError(f"length {n} at {self.pos:#x} runs past the end of the file")
        self.pos += n

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def count(self) -> int:
        return self.uint(8 if self.wide else 4)

    def string(self, limit: int) -> str | None:
        n = self.count()
        if n > limit:
            self.skip(n)
            return None
        return self.take(n).decode("utf-8", "replace")

    def value(self, vtype: int, depth: int = 0) -> object:
        if vtype in _FIXED:
            raw = self.take(_FIXED[vtype])
            return struct.unpack("<f", raw)[0] if vtype == 6 else int.from_bytes(raw, "little")
        if vtype == _STRING:
            return self.string(_MAX_TEMPLATE)
        if vtype == _ARRAY and depth < 4:
            itype, n = self.uint(4), self.count()
            if itype in _FIXED:
                self.skip(n * _FIXED[itype])
                return None
            if n > self.src.size:
                raise GgufError(f"array of {n} items cannot fit the file")
            for _ in range(n):
                self.value(itype, depth + 1)
            return None
        raise GgufError(f"unknown value type {vtype}")


def scan_gguf(ctx: Ctx, src: ByteSource, member: str | None) -> None:
    """Validate the header and analyse every chat template."""
    try:
        templates = _parse(src)
    except GgufError as exc:
        ctx.add(finding(ScanRule.GGUF001, str(exc), member=member))
        return
    for key, text in templates:
        if text is None:
            ctx.add(
                finding(ScanRule.GGUF001, f"{key} larger than 4 MiB; not verified", member=member)
            )
            continue
        analysis = analyze(text)
        for problem in analysis.problems:
            ctx.add(finding(ScanRule.GGUF002, problem, member=member, pointer=key))
        if analysis.parse_error is not None:
            ctx.add(
                finding(
                    ScanRule.GEN002,
                    f"{key} does not parse as Jinja2 ({analysis.parse_error}); not verified",
                    member=member,
                    pointer=key,
                )
            )


def _parse(src: ByteSource) -> list[tuple[str, str | None]]:
    head = src.read_at(0, 8)
    version = int.from_bytes(head[4:8], "little") if len(head) == 8 else 0
    if version not in (1, 2, 3):
        raise GgufError(f"unsupported GGUF version {version}")
    reader = _Reader(src, version)
    n_tensors, n_kv = reader.count(), reader.count()
    if n_kv * 13 > src.size or n_tensors * 24 > src.size:
        raise GgufError(f"{n_tensors} tensors / {n_kv} metadata entries cannot fit the file")
    templates: list[tuple[str, str | None]] = []
    alignment = 32
    for _ in range(n_kv):
        key = reader.string(65536)
        if key is None:
            raise GgufError("metadata key longer than 64 KiB")
        vtype = reader.uint(4)
        value = reader.value(vtype)
        if key == "general.alignment" and isinstance(value, int):
            alignment = value
        if key.startswith("tokenizer.chat_template"):
            templates.append((key, value if isinstance(value, str) else None))
    if alignment <= 0 or alignment & (alignment - 1):
        raise GgufError(f"general.alignment {alignment} is not a power of two")
    offsets = []
    for _ in range(n_tensors):
        if reader.string(65536) is None:
            raise GgufError("tensor name longer than 64 KiB")
        n_dims = reader.uint(4)
        if n_dims > _MAX_DIMS:
            raise GgufError(f"tensor with {n_dims} dimensions")
        for _ in range(n_dims):
            reader.uint(8)
        reader.uint(4)
        offsets.append(reader.uint(8))
    data_start = -(-reader.pos // alignment) * alignment
    for off in offsets:
        if off % alignment or data_start + off > src.size:
            raise GgufError(f"tensor data offset {off} misaligned or beyond the file")
    return templates
