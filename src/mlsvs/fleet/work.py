"""What a worker does: scan a batch of items (or hash local files). Importable by Ray workers."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.fleet.codec import report_to_json
from mlsvs.fleet.items import Item, SourceKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.fleet.rangeio import RangeFetcher
    from mlsvs.scanner.report import ScanOptions, ScanReport


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The result of scanning one item, as a worker returns it."""

    key: str
    uri: str
    report: str
    """``codec.report_to_json`` of the scan report."""
    fetched: int
    """Bytes read from the store: ranged/spooled bytes for remote objects; ``read(2)`` bytes
    for local files (memory-mapped reads are not in it)."""
    seconds: float
    cacheable: bool
    """False when a transport failure, an unreadable path or a time limit made the result
    depend on this attempt rather than on the content."""
    worker: str
    peak_rss: int
    """Peak resident memory of the worker process so far, bytes."""


def _rchar() -> int:
    try:
        text = Path("/proc/self/io").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def _peak_rss() -> int:
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def fetcher_for(item: Item) -> RangeFetcher:
    """The ranged reader of a remote item."""
    match item.kind:
        case SourceKind.S3:
            from mlsvs.fleet.s3 import S3Fetcher

            return S3Fetcher(item)
        case SourceKind.HF:
            from mlsvs.fleet.hub import HubFetcher

            return HubFetcher(item)
        case SourceKind.MLFLOW:
            from mlsvs.fleet.mlflow import MlflowFetcher

            return MlflowFetcher(item)
        case SourceKind.LOCAL:
            raise ValueError("local items are scanned by path")


def scan_item(item: Item, options: ScanOptions) -> tuple[ScanReport, int, bool]:
    """(report, bytes fetched, cacheable). Never raises for bad content or a failed read."""
    from mlsvs.scanner.api import scan_path, scan_stream
    from mlsvs.scanner.rules import ScanRule

    if item.kind is SourceKind.LOCAL:
        before = _rchar()
        report = scan_path(item.get("path"), options=options)
        cacheable = not report.errors and not _timed_out(report) and not _in_context(report)
        return report, max(0, _rchar() - before), cacheable
    from mlsvs.fleet.rangeio import open_range
    from mlsvs.scanner.report import ScanReport, finding

    saved_model = bool(item.get("saved_model"))
    size = int(item.get("graph_size")) if saved_model else item.size
    stream, raw = open_range(fetcher_for(item), size)
    with stream:
        report = scan_stream(
            stream, size, display=item.uri, options=options, saved_model=saved_model
        )
        failures = tuple(raw.failures)
        fetched = raw.fetched
    if failures:  # the store failed mid-scan: the result says nothing about the content
        message = f"read failed: {failures[0]}"
        report = ScanReport(
            path=report.path,
            format=report.format,
            findings=(*report.findings, finding(ScanRule.GEN003, message)),
            errors=(message,),
            bytes_read=report.bytes_read,
            content=report.content,
        )
        return report, fetched, False
    return report, fetched, not report.errors and not _timed_out(report)


def _in_context(report: ScanReport) -> bool:
    """A local verdict that depends on sibling files, not only on the content: a raw tensor
    file named by a model beside it, an ONNX model whose external data is resolved in its
    directory. Such results are never cached (a sibling may change while the content does
    not)."""
    from mlsvs.model.artifact import ModelFormat

    return report.format in (ModelFormat.TENSOR_DATA, ModelFormat.ONNX)


def _timed_out(report: ScanReport) -> bool:
    from mlsvs.scanner.rules import ScanRule

    return any(f.rule is ScanRule.PKL008 for f in report.findings)


def scan_batch(tasks: Sequence[tuple[str, Item]], options: ScanOptions) -> list[Outcome]:
    """Scan ``(cache key, item)`` pairs; one outcome each, in order."""
    import socket

    worker = f"{socket.gethostname()}:{os.getpid()}"
    ray = sys.modules.get("ray")  # loaded in a Ray worker; never imported here
    if ray is not None and ray.is_initialized():
        worker = f"{worker}@{ray.get_runtime_context().get_node_id()}"
    out = []
    for key, item in tasks:
        start = time.perf_counter()
        report, fetched, cacheable = scan_item(item, options)
        out.append(
            Outcome(
                key=key,
                uri=item.uri,
                report=report_to_json(report),
                fetched=fetched,
                seconds=time.perf_counter() - start,
                cacheable=cacheable,
                worker=worker,
                peak_rss=_peak_rss(),
            )
        )
    return out


def digest_batch(paths: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(stat key, path)`` -> ``(stat key, content fingerprint)`` for local files."""
    from mlsvs.fleet.local import digest_local

    return [(stat, digest_local(path)) for stat, path in paths]
