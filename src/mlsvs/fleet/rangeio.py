"""A seekable, read-only stream over an object fetched by byte ranges (S3, HTTP).

The scanner reads streams by ``seek`` + ``read``: a zip directory at the end, the pickle members
it names, a safetensors header. ``RangeReader`` turns those reads into ranged requests so a
multi-GB checkpoint costs its directory and its pickles, not its tensors. Small reads go through
a block cache (a sniffer's repeated head reads cost one request); large reads are fetched as
they are. Every fetched byte is counted in ``fetched`` (what the object store served).

When a caller asks for ``fileno()`` (the scanner memory-maps whole plain files it must read in
full, e.g. a bare pickle) the object is spooled to a temporary file once and served from it, so a
remote pickle is verified exactly as a local one is, within the same memory limits. A server that
ignores ``Range`` (answers the whole object) is spooled the same way on the first read.
"""

from __future__ import annotations

import io
import tempfile
from collections import OrderedDict
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

BLOCK = 64 * 1024
"""Granularity of cached small reads."""
CACHE_BLOCKS = 64
"""Blocks kept (4 MiB): the head, the zip directory and the local headers of one archive."""
DIRECT = 4 * BLOCK
"""Reads at least this long bypass the cache (pickle members, whole small objects)."""


class RangeFetcher(Protocol):
    """Fetches bytes of one remote object."""

    def fetch(self, start: int, end: int) -> bytes | None:
        """Bytes ``[start, end)``; ``None`` when the server ignored the range (see ``stream``)."""
        ...

    def stream(self) -> Iterator[bytes]:
        """The whole object, in chunks."""
        ...


class RemoteReadError(OSError):
    """The object store failed or answered something other than the requested bytes."""


class RangeReader(io.RawIOBase):
    """``RawIOBase`` over a ``RangeFetcher`` of an object of known ``size``."""

    def __init__(self, fetcher: RangeFetcher, size: int) -> None:
        super().__init__()
        self._fetcher = fetcher
        self._size = size
        self._pos = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._spool: BinaryIO | None = None
        self.fetched = 0
        """Bytes received from the store (ranges plus any spooled whole object)."""
        self.requests = 0
        self.failures: list[str] = []
        """Transport failures seen (the scanner may have caught them as unreadable members)."""

    @property
    def size(self) -> int:
        """Size of the object."""
        return self._size

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

    def fileno(self) -> int:
        """A real descriptor: the object spooled to a temporary file (read once, counted)."""
        return self._spooled().fileno()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        left = max(0, self._size - self._pos)
        n = left if n < 0 else min(n, left)
        if n == 0:
            return b""
        if self._spool is not None:
            self._spool.seek(self._pos)
            data = self._spool.read(n)
        elif n >= DIRECT:
            data = self._range(self._pos, self._pos + n)
        else:
            data = self._cached(self._pos, n)
        self._pos += len(data)
        return data

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        self._blocks.clear()
        super().close()

    def _range(self, start: int, end: int) -> bytes:
        if self._spool is not None:
            self._spool.seek(start)
            return self._spool.read(end - start)
        self.requests += 1
        try:
            data = self._fetcher.fetch(start, end)
        except OSError as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
            raise
        if data is None:  # the server sent the whole object: keep it, never ask again
            spool = self._spooled()
            spool.seek(start)
            return spool.read(end - start)
        self.fetched += len(data)
        if len(data) != end - start:
            self.failures.append("short range read")
            raise RemoteReadError(
                f"asked for bytes {start}-{end - 1}, got {len(data)} bytes (object changed?)"
            )
        return data

    def _cached(self, pos: int, n: int) -> bytes:
        first, last = pos // BLOCK, (pos + n - 1) // BLOCK
        missing = [b for b in range(first, last + 1) if b not in self._blocks]
        if missing:
            lo, hi = missing[0], missing[-1]
            raw = self._range(lo * BLOCK, min(self._size, (hi + 1) * BLOCK))
            for b in range(lo, hi + 1):
                self._blocks[b] = raw[(b - lo) * BLOCK : (b - lo + 1) * BLOCK]
        parts = []
        for b in range(first, last + 1):
            self._blocks.move_to_end(b)
            parts.append(self._blocks[b])
        while len(self._blocks) > CACHE_BLOCKS:
            self._blocks.popitem(last=False)
        joined = b"".join(parts)
        offset = pos - first * BLOCK
        return joined[offset : offset + n]

    def _spooled(self) -> BinaryIO:
        if self._spool is None:
            spool = tempfile.TemporaryFile(prefix="mlsvs-fleet-")  # noqa: SIM115 - closed in close()
            got = 0
            try:
                for chunk in self._fetcher.stream():
                    spool.write(chunk)
                    got += len(chunk)
            except OSError as exc:
                spool.close()
                self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
                raise
            self.requests += 1
            self.fetched += got
            if got != self._size:
                spool.close()
                self.failures.append("object size changed")
                raise RemoteReadError(f"object is {got} bytes, listed as {self._size} (changed?)")
            spool.flush()
            self._spool = spool
            self._blocks.clear()
        return self._spool


def open_range(fetcher: RangeFetcher, size: int) -> tuple[BinaryIO, RangeReader]:
    """A buffered stream for the scanner plus the raw reader (for its byte counters)."""
    raw = RangeReader(fetcher, size)
    return io.BufferedReader(raw, 8192), raw
