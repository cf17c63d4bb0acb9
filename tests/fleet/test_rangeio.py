"""The range reader the scanner reads remote objects through: exact bytes, few requests,
whole-object spooling when needed, failures recorded (a failed read is never a clean scan)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest

from mlsvs.fleet.rangeio import BLOCK, DIRECT, RangeReader, RemoteReadError, open_range


class Fetcher:
    """An in-memory object store counting what it serves."""

    def __init__(self, data: bytes, *, honour_ranges: bool = True, fail_after: int = -1) -> None:
        self.data = data
        self.honour = honour_ranges
        self.fail_after = fail_after
        self.calls: list[tuple[int, int]] = []
        self.streams = 0

    def fetch(self, start: int, end: int) -> bytes | None:
        if self.fail_after >= 0 and len(self.calls) >= self.fail_after:
            raise RemoteReadError("connection reset")
        self.calls.append((start, end))
        return self.data[start:end] if self.honour else None

    def stream(self) -> Iterator[bytes]:
        self.streams += 1
        for i in range(0, len(self.data), 1 << 16):
            yield self.data[i : i + (1 << 16)]


DATA = os.urandom(6 * BLOCK + 123)


def test_reads_match_the_object_at_every_offset():
    fetcher = Fetcher(DATA)
    fh, raw = open_range(fetcher, len(DATA))
    ref = io.BytesIO(DATA)
    for pos, n in [(0, 10), (BLOCK - 3, 7), (5, BLOCK * 2), (len(DATA) - 5, 100), (17, 0)]:
        fh.seek(pos)
        ref.seek(pos)
        assert fh.read(n) == ref.read(n)
    fh.seek(-4, io.SEEK_END)
    assert fh.read() == DATA[-4:]
    assert raw.fetched <= 4 * len(DATA)


def test_repeated_small_reads_cost_one_request():
    fetcher = Fetcher(DATA)
    raw = RangeReader(fetcher, len(DATA))
    for _ in range(20):
        raw.seek(100)
        assert raw.read(50) == DATA[100:150]
    assert len(fetcher.calls) == 1 and raw.fetched == BLOCK


def test_large_reads_fetch_exactly_what_is_asked():
    fetcher = Fetcher(DATA)
    raw = RangeReader(fetcher, len(DATA))
    raw.seek(1000)
    assert raw.read(DIRECT + 5) == DATA[1000 : 1000 + DIRECT + 5]
    assert fetcher.calls == [(1000, 1000 + DIRECT + 5)]


def test_fileno_spools_the_object_once_for_memory_mapping():
    import mmap

    fetcher = Fetcher(DATA)
    fh, raw = open_range(fetcher, len(DATA))
    mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    assert mapped[:] == DATA
    fh.seek(7)
    assert fh.read(9) == DATA[7:16]
    assert fetcher.streams == 1 and raw.fetched == len(DATA) and not fetcher.calls
    mapped.close()
    fh.close()


def test_a_server_ignoring_ranges_is_spooled_once():
    fetcher = Fetcher(DATA, honour_ranges=False)
    raw = RangeReader(fetcher, len(DATA))
    assert raw.read(10) == DATA[:10]
    raw.seek(2 * BLOCK)
    assert raw.read(BLOCK * 2) == DATA[2 * BLOCK : 4 * BLOCK]
    assert fetcher.streams == 1 and raw.fetched == len(DATA)


def test_failures_are_recorded_even_when_the_caller_swallows_them():
    raw = RangeReader(Fetcher(DATA, fail_after=0), len(DATA))
    with pytest.raises(RemoteReadError):
        raw.read(10)
    assert raw.failures and "connection reset" in raw.failures[0]


def test_an_object_that_changed_size_is_an_error():
    raw = RangeReader(Fetcher(DATA[:100]), 1000)
    with pytest.raises(RemoteReadError):
        raw.read(500)
    assert raw.failures


def test_a_scan_over_a_failing_store_is_an_uncacheable_error(tmp_path, monkeypatch):
    """The scanner turns unreadable members into findings; the fleet must not cache those."""
    import mlsvs.fleet.work as work
    from mlsvs.fleet.items import Item, SourceKind
    from mlsvs.scanner.report import ScanOptions

    monkeypatch.setattr(work, "fetcher_for", lambda item: Fetcher(DATA, fail_after=1))
    item = Item(
        kind=SourceKind.S3,
        source="s3://b/",
        uri="s3://b/x.pt",
        size=len(DATA),
        fingerprint="s3:b/x.pt::e:1",
    )
    report, _, cacheable = work.scan_item(item, ScanOptions())
    assert not cacheable and report.errors
    assert report.status.value == "not verified" or report.hazards
