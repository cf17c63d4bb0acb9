"""Run one function over many items in forked worker processes, results in the items' order.

Built for ``mlsvs scan`` over a directory: hundreds of files whose costs differ by a thousand
times (a README, a 2 MB tokenizer, a 7z archive). Workers are ``fork``ed from the calling
process after its imports, so none pays the interpreter's start-up again (``concurrent.futures``
with a process pool costs ~15 ms to import and re-imports handlers in each worker), and they
take items one at a time from a shared queue, so one slow item does not hold back a fixed
share of the others. The calling process is one of the workers.

The queue is a pipe filled before the fork with one 4-byte batch number per batch of items
(one item a batch up to 16,384 items) and closed for writing: a ``read`` of 4 bytes from a
pipe is served under the pipe's lock, so each number goes to exactly one worker (make's
jobserver relies on the same guarantee with 1-byte tokens).
Each worker appends its results, one JSON line of [number, ``encode(result)``] each, to its
own anonymous memory file (``memfd``: no path, so nothing else can write there; a result file
never blocks a worker as a full pipe would). JSON holds plain values only (reading it back
calls nothing) and ``decode`` rebuilds the results from them.

A worker that dies (killed, out of memory, a crash in a C library) loses only the item it was
on: ``lost(item, reason)`` stands in for each item without a result. Where ``fork`` or
``memfd`` is missing (not Linux) the items are worked through in this process.
"""

from __future__ import annotations

import os
import struct
import sys
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T = TypeVar("T")
R = TypeVar("R")

_NUMBER = struct.Struct("<I")
_BATCHES = 64 * 1024 // _NUMBER.size
"""A pipe's default capacity on Linux (64 KiB) in batch numbers: all are written before any
is read."""


def available() -> bool:
    """Whether ``fan_out`` can run workers here (Linux: ``fork`` and ``memfd_create``)."""
    return sys.platform.startswith("linux") and hasattr(os, "memfd_create")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def fan_out(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    workers: int,
    encode: Callable[[R], object],
    decode: Callable[[Any], R],
    lost: Callable[[T, str], R],
) -> list[R]:
    """``[work(item) for item in items]``, computed by ``workers`` processes (this one too).

    A worker hands each result back as ``encode(result)``, plain values that JSON writes
    (tuples come back as lists, strings with lone surrogates intact); ``decode`` rebuilds it.
    ``lost(item, reason)`` stands in for a result a worker died without writing. ``work`` must
    not raise (an exception in a worker loses its item like a crash).
    """
    if workers <= 1 or len(items) < 2 or not available():
        return [work(item) for item in items]
    size = -(-len(items) // _BATCHES)
    batches = [range(i, min(i + size, len(items))) for i in range(0, len(items), size)]
    queue_read, queue_write = os.pipe()
    try:
        os.write(queue_write, b"".join(_NUMBER.pack(i) for i in range(len(batches))))
    finally:
        os.close(queue_write)
    # Flushed before forking: a child must not inherit (and never writes) buffered output.
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, result file)
    try:
        for _ in range(min(workers, len(batches)) - 1):
            results = os.memfd_create("mlsvs-fan-out", os.MFD_CLOEXEC)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
                _child(queue_read, results, items, batches, work, encode)
            children.append((pid, results))
        done: dict[int, R] = {}
        while (number := _take(queue_read)) is not None:
            for index in batches[number]:
                done[index] = work(items[index])
    except BaseException:
        for pid, _ in children:
            _stop(pid)
        raise
    finally:
        os.close(queue_read)
    reasons: list[str] = []
    for pid, results in children:
        status = _wait(pid)
        if status:
            reasons.append(status)
        with os.fdopen(results, "rb") as fh:
            fh.seek(0)  # the child's writes moved the offset both processes share
            done.update((index, decode(value)) for index, value in _records(fh.read()))
    reason = "; ".join(reasons) or "worker process ended without a result"
    return [done[i] if i in done else lost(items[i], reason) for i in range(len(items))]


def _child(
    queue: int,
    results: int,
    items: Sequence[T],
    batches: Sequence[range],
    work: Callable[[T], R],
    encode: Callable[[R], object],
) -> None:
    """A worker's whole life: take batches until the queue is empty, append each result."""
    import json

    code = 0
    try:
        with os.fdopen(results, "wb", buffering=0) as out:
            while (number := _take(queue)) is not None:
                for index in batches[number]:
                    line = json.dumps([index, encode(work(items[index]))]) + "\n"
                    out.write(line.encode("ascii"))  # one write a result: a crash cuts one
    except BaseException:  # noqa: BLE001 - the parent names the items this worker lost
        code = 1
    os._exit(code)


def _take(queue: int) -> int | None:
    """The next batch number, or None once the queue is empty."""
    data = os.read(queue, _NUMBER.size)
    if len(data) < _NUMBER.size:
        return None  # empty (a short read cannot happen: every number was written whole)
    number: int = _NUMBER.unpack(data)[0]
    return number


def _records(data: bytes) -> list[tuple[int, Any]]:
    """The whole records in a worker's result file (a line cut by a crash is dropped)."""
    import json

    out: list[tuple[int, Any]] = []
    for line in data.splitlines(keepends=True):
        if line.endswith(b"\n"):
            index, value = json.loads(line)
            out.append((index, value))
    return out


def _wait(pid: int) -> str:
    """Reap a worker; '' when it exited normally, else how it ended."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"worker process killed by signal {os.WTERMSIG(status)}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return "" if code == 0 else f"worker process failed (exit status {code})"


def _stop(pid: int) -> None:
    """Kill and reap a worker (this process is being interrupted)."""
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
