"""One fleet scan: list, fingerprint, skip what the cache knows, scan the rest, collect rows."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.fleet.engine import engine_session
from mlsvs.fleet.items import Item, ListingError, SourceKind
from mlsvs.fleet.plan import Sizing, pack
from mlsvs.fleet.savedmodel import fold_saved_models
from mlsvs.fleet.versions import cache_key, policy_version, scanner_version

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from mlsvs.fleet.cache import ResultCache
    from mlsvs.fleet.engine import Engine
    from mlsvs.fleet.sources import Endpoints
    from mlsvs.fleet.work import Outcome
    from mlsvs.scanner.report import ScanOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One object's result (one row of the results dataset)."""

    source: str
    uri: str
    kind: str
    size: int
    fingerprint: str
    key: str
    report: str
    """``codec.report_to_json``; for a listing error, a report holding that error."""
    cached: bool
    fetched: int
    """Bytes read from the store for this result (0 when it came from the cache)."""
    worker: str


@dataclass(slots=True, kw_only=True)
class Stats:
    """Counters of one run."""

    listed: int = 0
    listing_errors: int = 0
    scanned: int = 0
    cached: int = 0
    failed_tasks: int = 0
    tasks: int = 0
    hashed_files: int = 0
    bytes_stored: int = 0
    bytes_fetched: int = 0
    bytes_hashed: int = 0
    seconds_listing: float = 0.0
    seconds_hashing: float = 0.0
    seconds_scanning: float = 0.0
    peak_rss: int = 0
    workers: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRun:
    """Rows (one per object, in listing order) plus the run's counters and versions."""

    rows: tuple[Row, ...]
    stats: Stats
    scanner_version: str
    policy_version: str


class Interrupted(Exception):  # noqa: N818 - raised by progress callbacks to stop a run
    """Raised by an ``on_task`` callback to stop the run after the current task (tests)."""


def fleet_scan(
    sources: Sequence[str],
    *,
    cache_path: Path,
    options: ScanOptions,
    engine: Engine,
    endpoints: Endpoints,
    sizing: Sizing | None = None,
    rescan: bool = False,
    on_task: Callable[[int, int], None] | None = None,
) -> FleetRun:
    """Scan every object of ``sources``; results already in the cache are reused.

    ``on_task(done, total)`` is called after each finished scan task has been committed to the
    cache; an exception it raises stops the run there (what was committed stays).
    """
    from mlsvs.fleet.cache import ResultCache
    from mlsvs.fleet.sources import list_source

    stats = Stats()
    sizing = sizing or Sizing()
    scanner, policy = scanner_version(), policy_version(options)
    began = time.perf_counter()
    items: list[Item] = []
    errors: list[ListingError] = []
    seen: set[str] = set()
    for source in sources:
        for entry in list_source(source, endpoints):
            if isinstance(entry, ListingError):
                errors.append(entry)
            elif entry.uri not in seen:
                seen.add(entry.uri)
                items.append(entry)
    items = fold_saved_models(items)
    stats.listed, stats.listing_errors = len(items), len(errors)
    stats.bytes_stored = sum(i.size for i in items)
    stats.seconds_listing = time.perf_counter() - began
    cache = ResultCache(cache_path)
    # One engine session for both phases: a local Ray instance is started once, not twice.
    with contextlib.ExitStack() as stack:
        stack.callback(cache.close)
        stack.enter_context(engine_session(engine))
        began = time.perf_counter()
        items = _fingerprint_local(items, cache, engine, sizing, stats)
        stats.seconds_hashing = time.perf_counter() - began
        keys = [cache_key(_identity(i), scanner, policy) for i in items]
        known = (
            {}
            if rescan
            else cache.reports(k for k, i in zip(keys, items, strict=True) if _cacheable(i))
        )
        fresh: dict[str, Outcome] = {}
        todo: dict[str, Item] = {}
        for key, item in zip(keys, items, strict=True):
            if key not in known and key not in todo:
                todo[key] = item  # one scan per distinct content
        began = time.perf_counter()
        _scan(list(todo.items()), options, cache, engine, sizing, stats, fresh, on_task)
        stats.seconds_scanning = time.perf_counter() - began
    rows = [_row(i, k, known, fresh) for k, i in zip(keys, items, strict=True)]
    rows.extend(_error_row(e) for e in errors)
    stats.scanned = len(fresh)
    stats.cached = sum(1 for r in rows if r.cached)
    stats.bytes_fetched = sum(o.fetched for o in fresh.values())
    return FleetRun(rows=tuple(rows), stats=stats, scanner_version=scanner, policy_version=policy)


def _identity(item: Item) -> str:
    """What a result depends on: the content, and for a local file also where it is (the
    scanner resolves sidecars and ONNX external data against the file's directory)."""
    if item.kind is SourceKind.LOCAL:
        return f"{item.fingerprint}@{item.uri}"
    return item.fingerprint


def _cacheable(item: Item) -> bool:
    return not item.fingerprint.startswith(("volatile:", "unreadable:"))


def _fingerprint_local(
    items: list[Item], cache: ResultCache, engine: Engine, sizing: Sizing, stats: Stats
) -> list[Item]:
    """Replace local stat keys by content fingerprints (hashing only what changed)."""
    from mlsvs.fleet.work import digest_batch

    local = [i for i in items if i.kind is SourceKind.LOCAL]
    known = cache.digests(i.fingerprint for i in local)
    missing = {i.fingerprint: i for i in local if i.fingerprint not in known}
    if missing:
        todo = list(missing.values())
        groups = pack(todo, dataclasses.replace(sizing, task_files=max(sizing.task_files, 64)))
        calls = [([(todo[j].fingerprint, todo[j].get("path")) for j in g],) for g in groups]
        found: list[tuple[str, str]] = []

        def done(_: int, pairs: list[tuple[str, str]]) -> None:
            found.extend(pairs)

        def failed(index: int, why: str) -> None:
            found.extend((todo[j].fingerprint, f"volatile:{why}") for j in groups[index])

        engine.run(digest_batch, calls, done, failed)
        cache.store_digests(found)
        known.update(found)
        stats.hashed_files = len(todo)
        stats.bytes_hashed = sum(i.size for i in todo)
    return [
        dataclasses.replace(i, fingerprint=known[i.fingerprint])
        if i.kind is SourceKind.LOCAL
        else i
        for i in items
    ]


def _scan(
    todo: list[tuple[str, Item]],
    options: ScanOptions,
    cache: ResultCache,
    engine: Engine,
    sizing: Sizing,
    stats: Stats,
    fresh: dict[str, Outcome],
    on_task: Callable[[int, int], None] | None,
) -> None:
    from mlsvs.fleet.work import scan_batch

    groups = pack([i for _, i in todo], sizing)
    stats.tasks = len(groups)
    calls = [([todo[j] for j in g], options) for g in groups]
    finished = 0

    def done(_: int, outcomes: list[Outcome]) -> None:
        nonlocal finished
        cache.store(outcomes)  # committed before anything else can stop the run
        for outcome in outcomes:
            fresh[outcome.key] = outcome
            stats.workers.add(outcome.worker)
            stats.peak_rss = max(stats.peak_rss, outcome.peak_rss)
        finished += 1
        if on_task is not None:
            on_task(finished, len(groups))

    def failed(index: int, why: str) -> None:
        from mlsvs.fleet.codec import report_to_json
        from mlsvs.fleet.work import Outcome
        from mlsvs.model.artifact import ModelFormat
        from mlsvs.scanner.report import ScanReport, finding
        from mlsvs.scanner.rules import ScanRule

        stats.failed_tasks += 1
        for j in groups[index]:
            key, item = todo[j]
            report = ScanReport(
                path=item.uri,
                format=ModelFormat.UNKNOWN,
                findings=(finding(ScanRule.GEN003, why),),
                errors=(why,),
            )
            fresh[key] = Outcome(
                key=key,
                uri=item.uri,
                report=report_to_json(report),
                fetched=0,
                seconds=0.0,
                cacheable=False,
                worker="",
                peak_rss=0,
            )

    engine.run(scan_batch, calls, done, failed)


def _row(item: Item, key: str, known: dict[str, tuple[str, int]], fresh: dict[str, Outcome]) -> Row:
    outcome = fresh.get(key)
    if outcome is not None and outcome.uri == item.uri:
        report, fetched, cached, worker = outcome.report, outcome.fetched, False, outcome.worker
    elif outcome is not None:  # same content scanned under another name in this run
        report, fetched, cached, worker = outcome.report, 0, True, outcome.worker
    else:
        report, fetched, cached, worker = known[key][0], 0, True, ""
    return Row(
        source=item.source,
        uri=item.uri,
        kind=item.kind.value,
        size=item.size,
        fingerprint=item.fingerprint,
        key=key,
        report=report,
        cached=cached,
        fetched=fetched,
        worker=worker,
    )


def _error_row(error: ListingError) -> Row:
    from mlsvs.fleet.codec import report_to_json
    from mlsvs.model.artifact import ModelFormat
    from mlsvs.scanner.report import ScanReport, finding
    from mlsvs.scanner.rules import ScanRule

    message = f"not listed: {error.message}"
    report = ScanReport(
        path=error.uri,
        format=ModelFormat.UNKNOWN,
        findings=(finding(ScanRule.GEN003, message),),
        errors=(message,),
    )
    return Row(
        source=error.source,
        uri=error.uri,
        kind="listing",
        size=0,
        fingerprint="",
        key="",
        report=report_to_json(report),
        cached=False,
        fetched=0,
        worker="",
    )
