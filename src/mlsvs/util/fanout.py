"""Run one function over many items in forked worker processes, results in the items' order.

Built for ``mlsvs scan`` over a directory: hundreds of files whose costs differ by a thousand
times (a README, a 2 MB tokenizer, a 7z archive). Workers are ``fork``ed from the calling
process after its imports, so none pays the interpreter's start-up again, and they take items
one at a time from a shared queue, so one slow item does not hold back a fixed share of the
others. The calling process is one of the workers. Why not ``concurrent.futures`` or
``multiprocessing``: importing either costs ~20 ms on a scan's start path (more than a small
tree's whole scan), the caller sits idle while its pool works, and both hand results back
through ``pickle``, which this project never loads (ruff bans ``pickle.loads``).

The queue is a pipe filled before the fork with one 4-byte batch number per batch of items
(one item a batch while they fit the pipe: 16,384 in a default 64 KiB pipe) and closed for
writing: a ``read`` of 4 bytes from a pipe is served under the pipe's lock, so each number
goes to exactly one worker (make's jobserver relies on the same guarantee with 1-byte tokens).
Each worker appends its results, one JSON line of [number, ``encode(result)``] each, to its
own anonymous memory file (``memfd``: no path, so nothing else can write there; a result file
never blocks a worker as a full pipe would). JSON holds plain values only (reading it back
calls nothing) and ``decode`` rebuilds the results from them.

A worker notes each item it starts before working on it, so one that dies (killed, out of
memory, a crash in a C library) loses only the item it was on, and the reason names how it
ended: ``lost(item, reason)`` stands in for that result. Where ``fork`` or ``memfd`` is
missing (not Linux), or other threads run, the items are worked through in this process.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T = TypeVar("T")
R = TypeVar("R")

_NUMBER = struct.Struct("<I")


def available() -> bool:
    """Whether ``fan_out`` can run workers here (Linux: ``fork`` and ``memfd_create``)."""
    return sys.platform.startswith("linux") and hasattr(os, "memfd_create")


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota (a container
    started with ``--cpus 2`` on a 64-core host may use two; more workers than that would
    share them, and per-file time budgets are wall-clock)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _cgroup_cpus(cgroup)
    return max(1, min(count, quota)) if quota is not None else count


def _cgroup_cpus(root: Path) -> int | None:
    """CPUs a cgroup quota allows, rounded up (v2 ``cpu.max``; v1 ``cpu.cfs_quota_us`` over
    ``cpu.cfs_period_us``), or None when there is none or it cannot be read."""
    try:
        quota, _, period = (root / "cpu.max").read_text().strip().partition(" ")
    except OSError:
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        allowed, per = int(quota), int(period)
    except ValueError:
        return None  # "max": no quota
    return -(-allowed // per) if allowed > 0 and per > 0 else None


def fan_out(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    workers: int,
    encode: Callable[[R], object],
    decode: Callable[[Any], R],
    lost: Callable[[T, str], R],
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``[work(item) for item in items]``, computed by ``workers`` processes (this one too).

    A worker hands each result back as ``encode(result)``, plain values that JSON writes
    (tuples come back as lists, strings with lone surrogates intact); ``decode`` rebuilds it.
    ``lost(item, reason)`` stands in for a result a worker died without writing. ``work`` must
    not raise (an exception in a worker loses its item like a crash). ``progress(started,
    total)`` is called here after each item this process works, with how many items all
    workers have started (read from what is left in the queue), and once at the end.

    Runs in this process alone for one worker or item, off Linux, and when other threads are
    running: a forked child holds only the forking thread, and a lock another thread held at
    the fork would stay locked in it for ever.
    """
    report = progress or _quiet
    queue = None
    if workers > 1 and len(items) >= 2 and available() and not _other_threads():
        queue = _queue(len(items))
    if queue is None:
        alone: list[R] = []
        for item in items:
            alone.append(work(item))
            report(len(alone), len(items))
        return alone
    queue_read, batches = queue
    _flush()
    children: list[tuple[int, int]] = []  # (pid, result file)
    try:
        for _ in range(min(workers, len(batches)) - 1):
            started = _start(queue_read, items, batches, work, encode)
            if started is None:
                break  # no more processes (a process limit): the ones running do the rest
            children.append(started)
        done: dict[int, R] = {}
        while (number := _take(queue_read)) is not None:
            for index in batches[number]:
                done[index] = work(items[index])
            if progress is not None:
                handed_out = (len(batches) - _queued(queue_read)) * len(batches[0])
                progress(min(handed_out, len(items)), len(items))
    except BaseException:
        for pid, results in children:
            _stop(pid)
            os.close(results)
        raise
    finally:
        os.close(queue_read)
    why: dict[int, str] = {}
    for pid, results in children:
        status = _wait(pid) or "worker process ended without writing a result"
        with os.fdopen(results, "rb") as fh:
            fh.seek(0)  # the child's writes moved the offset both processes share
            for index, value in _records(fh.read()):
                if value is _TAKEN:
                    why[index] = status
                else:
                    done[index] = decode(value)
    report(len(items), len(items))
    return [
        done[i] if i in done else lost(items[i], why.get(i, "no worker took it"))
        for i in range(len(items))
    ]


def _quiet(started: int, total: int) -> None:
    """No progress display."""


def _queued(queue: int) -> int:
    """Batch numbers still in the queue (the bytes a read could take now, ``FIONREAD``)."""
    import fcntl
    import termios

    count = bytearray(4)
    try:
        fcntl.ioctl(queue, termios.FIONREAD, count)
    except OSError:
        return 0
    return int.from_bytes(count, sys.byteorder) // _NUMBER.size


def _flush() -> None:
    """Flush buffered output before forking: a child must not inherit it (it never writes
    it, leaving by ``os._exit``, but a flush in it would print it twice)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # closed or broken: nothing buffered can reach it anyway


def _other_threads() -> bool:
    threading = sys.modules.get("threading")  # never imported: no other thread
    return threading is not None and threading.active_count() > 1


def _queue(count: int) -> tuple[int, list[range]] | None:
    """A pipe holding one number per batch of items, closed for writing, and the batches;
    None when the pipe cannot take them all before anyone reads (never blocks)."""
    import fcntl

    queue_read, queue_write = os.pipe()
    batches: list[range] = []
    data = b""
    written = -1
    try:
        # 64 KiB by default; one page for a user over the kernel's pipe-buffer quota.
        slots = fcntl.fcntl(queue_write, fcntl.F_GETPIPE_SZ) // _NUMBER.size
        size = -(-count // slots)
        batches = [range(i, min(i + size, count)) for i in range(0, count, size)]
        data = b"".join(_NUMBER.pack(i) for i in range(len(batches)))
        os.set_blocking(queue_write, False)
        written = os.write(queue_write, data)
    except OSError:
        pass  # a full pipe (BlockingIOError) or no F_GETPIPE_SZ: one process does the work
    finally:
        os.close(queue_write)
    if written != len(data):
        os.close(queue_read)
        return None
    return queue_read, batches


_TAKEN = object()
"""A record saying a worker started on an item: a result that never follows names the item
lost and how its worker ended."""


def _start(
    queue: int,
    items: Sequence[T],
    batches: Sequence[range],
    work: Callable[[T], R],
    encode: Callable[[R], object],
) -> tuple[int, int] | None:
    """Fork one worker: (pid, its result file), or None when the system refuses."""
    try:
        results = os.memfd_create("mlsvs-fan-out", os.MFD_CLOEXEC)
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(results)
        return None
    if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
        _child(queue, results, items, batches, work, encode)
    return pid, results


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
                    out.write(b"[%d]\n" % index)  # taken: a crash now loses this item
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
    """A worker's records in order: (index, ``_TAKEN``) when it started on an item, (index,
    encoded result) when it finished. A line cut by a crash is dropped."""
    import json

    out: list[tuple[int, Any]] = []
    for line in data.splitlines(keepends=True):
        if line.endswith(b"\n"):
            record = json.loads(line)
            out.append((record[0], record[1] if len(record) == 2 else _TAKEN))
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
