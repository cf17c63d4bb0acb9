"""Tensor containers without code paths: numpy ``.npy`` and safetensors (header validation)."""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING

from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource, Ctx

_ST_DTYPES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "U16": 2,
    "I16": 2, "F16": 2, "BF16": 2, "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8,
    "F64": 8, "C64": 8, "F4": 0.5, "F6_E2M3": 0.75, "F6_E3M2": 0.75,
}  # fmt: skip
_ST_MAX_HEADER = 100 * 1024 * 1024


def scan_npy(ctx: Ctx, src: ByteSource, member: str | None, depth: int) -> None:
    """Parse the .npy header; object arrays hold a pickle, which is emulated."""
    from mlsvs.scanner.formats_pickle import scan_pickle

    head = src.read_at(0, 12)
    major = head[6] if len(head) > 6 else 0
    if len(head) < 10 or major not in (1, 2, 3):
        ctx.add(finding(ScanRule.GEN002, "truncated or unknown .npy version", member=member))
        return
    if major == 1:
        hlen, start = int.from_bytes(head[8:10], "little"), 10
    else:
        hlen, start = int.from_bytes(head[8:12], "little"), 12
    raw = src.read_at(start, hlen)
    try:
        header = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin-1").strip())
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        ctx.add(finding(ScanRule.GEN002, "unparseable .npy header", member=member))
        return
    if not isinstance(header, dict) or "descr" not in header or "shape" not in header:
        ctx.add(finding(ScanRule.GEN002, ".npy header lacks descr/shape", member=member))
        return
    if "O" not in repr(header["descr"]):
        return
    # numpy.save writes every object array this way; numpy.load(allow_pickle=True) then runs
    # the embedded pickle, which is emulated like any other. A pickle that verifies clean makes
    # the file as safe as a clean .pkl; NPY001 is added only to explain a pickle's findings.
    before = len(ctx.findings)
    data = ctx.read_all(src, member)
    if data is not None:
        scan_pickle(ctx, data[start + hlen :], member, depth + 1)
    if data is None or len(ctx.findings) > before:
        ctx.add(finding(ScanRule.NPY001, "object dtype: the array data is a pickle", member=member))


def scan_safetensors(ctx: Ctx, src: ByteSource, member: str | None) -> None:
    """Validate the header: JSON object, dtypes, shapes x dtype = byte spans, exact tiling."""
    for problem in safetensors_problems(src):
        ctx.add(finding(ScanRule.ST001, problem, member=member))


def safetensors_problems(src: ByteSource) -> list[str]:
    """Every inconsistency of a safetensors header (empty when valid)."""
    n = int.from_bytes(src.read_at(0, 8), "little")
    if n > _ST_MAX_HEADER or n + 8 > src.size:
        return [f"header length {n} exceeds the file or the 100 MiB limit"]
    try:
        header = json.loads(src.read_at(8, n))
    except (ValueError, RecursionError):
        return ["header is not valid UTF-8 JSON"]
    if not isinstance(header, dict):
        return ["header is not a JSON object"]
    problems: list[str] = []
    data_len = src.size - 8 - n
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                problems.append("__metadata__ must map strings to strings")
            continue
        problem = _tensor_problem(name, info, spans)
        if problem:
            problems.append(problem)
    spans.sort()
    cursor = 0
    for start, end, name in spans:
        if start < cursor:
            problems.append(f"tensor {name!r} overlaps the previous tensor")
        elif start > cursor:
            problems.append(f"gap of {start - cursor} bytes before tensor {name!r}")
        cursor = max(cursor, end)
    if cursor > data_len:
        problems.append(f"tensor data ends at {cursor}, beyond the {data_len} data bytes")
    elif cursor < data_len:
        problems.append(f"{data_len - cursor} trailing bytes after the last tensor")
    return problems


def _tensor_problem(name: str, info: object, spans: list[tuple[int, int, str]]) -> str:
    if not isinstance(info, dict):
        return f"tensor {name!r} entry is not an object"
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in _ST_DTYPES:
        return f"tensor {name!r} has unknown dtype {dtype!r}"
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        return f"tensor {name!r} has an invalid shape"
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        return f"tensor {name!r} has invalid data_offsets"
    count = 1
    for d in shape:
        count *= d
    expected = count * _ST_DTYPES[str(dtype)]
    if expected != offsets[1] - offsets[0]:
        return (
            f"tensor {name!r}: shape x dtype = {expected} bytes, span = {offsets[1] - offsets[0]}"
        )
    spans.append((offsets[0], offsets[1], name))
    return ""
