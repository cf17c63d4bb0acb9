"""Pickle-family files: raw/concatenated pickles, joblib, legacy PyTorch (stacked pickles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.scanner.pickle_scan import PickleScan, analyze
from mlsvs.scanner.pickle_values import EventKind, Ref, dotted
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx
    from mlsvs.scanner.pickle_vm import StreamResult
    from mlsvs.scanner.report import ScanFinding

TORCH_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_ELEMENT_SIZE = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16,
    "UntypedStorage": 1, "QInt8Storage": 1, "QUInt8Storage": 1, "QInt32Storage": 4,
    "QUInt4x2Storage": 1, "QUInt2x4Storage": 1, "Float8_e4m3fnStorage": 1,
    "Float8_e5m2Storage": 1,
}  # fmt: skip


def new_scan(
    ctx: Ctx, member: str | None, depth: int, extra_allow: frozenset[str] = frozenset()
) -> PickleScan:
    """A PickleScan wired to the shared budget and the nested-payload dispatcher."""
    return PickleScan(
        member=member,
        allow=ctx.options.allow | extra_allow,
        budget=ctx.budget,
        depth=depth,
        nested=lambda blob, label, d: _nested(ctx, blob, label, d),
    )


def _nested(ctx: Ctx, blob: bytes, label: str, depth: int) -> list[ScanFinding]:
    before = len(ctx.findings)
    ctx.scan_bytes(blob, label, depth, nested_payload=True)
    added = ctx.findings[before:]
    del ctx.findings[before:]
    return added


def scan_pickle(
    ctx: Ctx,
    data: bytes,
    member: str | None,
    depth: int,
    *,
    extra_allow: frozenset[str] = frozenset(),
) -> None:
    """Every pickle stream in ``data`` (a legacy torch file is recognised by its magic)."""
    scan = new_scan(ctx, member, depth, extra_allow)
    streams = analyze(data, 0, scan, max_streams=5)
    if _is_legacy_torch(streams):
        _legacy_tail(data, streams, scan)
    elif (
        streams
        and streams[-1].error is None
        and not streams[-1].budget_exceeded  # stopped mid-stream: the rest is not a new pickle
        and streams[-1].end < len(data)
    ):
        analyze(data, streams[-1].end, scan)
    ctx.findings.extend(scan.findings)


def _is_legacy_torch(streams: list[StreamResult]) -> bool:
    return (
        len(streams) == 5
        and streams[0].value == TORCH_MAGIC_NUMBER
        and all(s.error is None for s in streams)
    )


def _legacy_tail(data: bytes, streams: list[StreamResult], scan: PickleScan) -> None:
    """After the 5 pickles torch reads each storage as int64 count + raw elements."""
    sizes: dict[str, int] = {}
    for event in streams[3].events:
        pid = event.value
        if event.kind is EventKind.PERSID and isinstance(pid, tuple) and len(pid) >= 5:
            kind = dotted(pid[1]) if isinstance(pid[1], Ref) else None
            if isinstance(pid[2], str) and kind is not None:
                sizes[pid[2]] = _ELEMENT_SIZE.get(kind.rsplit(".", 1)[-1], 0)
    keys = streams[4].value
    pos = streams[4].end
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        scan.findings.append(
            finding(
                ScanRule.GEN002, "legacy torch storage key list not understood", member=scan.member
            )
        )
        analyze(data, pos, scan, trailing=True)
        return
    for key in keys:
        size = sizes.get(str(key), 0)
        if not size or pos + 8 > len(data):
            scan.findings.append(
                finding(
                    ScanRule.GEN002,
                    f"legacy torch storage {key!r} has an unknown type or is truncated",
                    member=scan.member,
                    offset=pos,
                )
            )
            analyze(data, pos, scan, trailing=True)
            return
        count = int.from_bytes(data[pos : pos + 8], "little")
        pos += 8 + count * size
    if pos > len(data):
        scan.findings.append(
            finding(ScanRule.GEN002, "legacy torch storages run past the end", member=scan.member)
        )
    elif pos < len(data):
        analyze(data, pos, scan, trailing=True)
