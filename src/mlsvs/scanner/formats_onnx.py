"""ONNX models (protobuf read by hand): external data locations and custom operator domains."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from mlsvs.scanner import proto
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import Rule

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.scanner.context import Ctx, Source

STANDARD_DOMAINS = frozenset(
    {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
     "ai.onnx.preview", "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental",
     "org.pytorch.aten", "com.ms.internal.nhwc"}
)  # fmt: skip
_MAX_DEPTH = 32


def scan_onnx(ctx: Ctx, src: Source, member: str | None) -> None:
    """Report external data escaping the model directory and non-standard op domains."""
    data = ctx.read_all(src, member)
    if data is None:
        return
    try:
        graphs = list(proto.submessages(data, 7))
        functions = list(proto.submessages(data, 25))
        locations: list[tuple[str, str]] = []
        domains: set[str] = set()
        for graph in graphs:
            _walk_graph(graph, locations, domains, 0)
        for function in functions:
            for node in proto.submessages(function, 7):
                domains.add(proto.text(node, 7))
    except proto.ProtoError as exc:
        ctx.add(finding(Rule.GEN002, f"ONNX protobuf unreadable: {exc}", member=member))
        return
    for tensor, location in sorted(set(locations)):
        if escapes(location) or (member is None and _links_out(ctx.base_dir, location)):
            ctx.add(
                finding(
                    Rule.ONX001,
                    f"initializer {tensor!r} reads external data from {location!r}",
                    member=member,
                    pointer=f"/graph/initializer/{tensor}",
                )
            )
    local = {proto.text(f, 1) for f in functions}
    for domain in sorted(domains - STANDARD_DOMAINS - local):
        ctx.add(finding(Rule.ONX002, f"operators from custom domain {domain!r}", member=member))


def escapes(location: str) -> bool:
    """Absolute, drive-qualified, home-relative or parent-escaping locations."""
    loc = location.replace("\\", "/")
    if not loc or loc.startswith(("/", "~")) or (len(loc) > 1 and loc[1] == ":"):
        return True
    return posixpath.normpath(loc).split("/")[0] == ".."


def _links_out(base: Path, location: str) -> bool:
    """A relative location that resolves outside the model directory through a symlink."""
    target = base / location
    try:
        return target.exists() and not target.resolve().is_relative_to(base.resolve())
    except (OSError, ValueError):
        return True


def _walk_graph(
    graph: memoryview, locations: list[tuple[str, str]], domains: set[str], depth: int
) -> None:
    if depth > _MAX_DEPTH:
        raise proto.ProtoError("subgraphs nested too deeply")
    for node in proto.submessages(graph, 1):
        domains.add(proto.text(node, 7))
        for attr in proto.submessages(node, 5):
            for sub in _attr_graphs(attr):
                _walk_graph(sub, locations, domains, depth + 1)
    for number in (5, 15):  # initializer, sparse_initializer
        for tensor in proto.submessages(graph, number):
            for t in [tensor] if number == 5 else list(proto.submessages(tensor, 1)):
                locations.extend(_external(t))


def _attr_graphs(attr: memoryview) -> Iterator[memoryview]:
    yield from proto.submessages(attr, 6)
    yield from proto.submessages(attr, 11)


def _external(tensor: memoryview) -> list[tuple[str, str]]:
    name = proto.text(tensor, 8)
    return [
        (name, proto.text(entry, 2))
        for entry in proto.submessages(tensor, 13)
        if proto.text(entry, 1) == "location"
    ]
