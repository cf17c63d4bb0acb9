"""``mlsvs.util.fanout``: forked workers share a queue; every item is worked once, in order."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from mlsvs.util.fanout import available, fan_out

pytestmark = pytest.mark.skipif(not available(), reason="fan_out forks workers on Linux only")


def _run(items: list[int], work, workers: int = 2):  # type: ignore[no-untyped-def]
    return fan_out(
        items,
        work,
        workers=workers,
        encode=lambda result: result,
        decode=lambda value: tuple(value) if isinstance(value, list) else value,
        lost=lambda item, reason: ("lost", item, reason),
    )


def test_results_come_back_in_order_from_several_processes(tmp_path: Path) -> None:
    def work(item: int) -> tuple[int, int]:
        # Each item leaves a mark: a number handed to two workers would leave two.
        with (tmp_path / f"{item}.mark").open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(0.002 if item % 7 else 0.02)  # uneven costs, as in a real tree
        return item * item, os.getpid()

    items = list(range(120))
    results = _run(items, work, workers=3)
    assert [square for square, _ in results] == [i * i for i in items]
    assert len({pid for _, pid in results}) > 1  # the work was shared out
    marks = [(tmp_path / f"{i}.mark").read_text().splitlines() for i in items]
    assert all(len(lines) == 1 for lines in marks)


def test_one_worker_or_one_item_runs_here() -> None:
    here = os.getpid()
    assert _run([1, 2, 3], lambda _: os.getpid(), workers=1) == [here] * 3
    assert _run([1], lambda _: os.getpid(), workers=4) == [here]
    assert _run([], lambda _: os.getpid(), workers=4) == []


def test_more_items_than_the_queue_holds_are_batched() -> None:
    items = list(range(40_000))
    assert _run(items, lambda item: item + 1) == [item + 1 for item in items]


def test_a_worker_killed_mid_item_loses_that_item_only() -> None:
    parent = os.getpid()

    def work(item: int) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # the worker's first item kills it
        time.sleep(0.005)  # slow enough that the worker takes an item before the queue empties
        return item

    results = _run(list(range(40)), work)
    lost = [r for r in results if isinstance(r, tuple)]
    assert len(lost) == 1 and f"signal {signal.SIGKILL}" in lost[0][2], lost
    assert [r for r in results if not isinstance(r, tuple)] == [
        i for i in range(40) if i != lost[0][1]
    ]


def test_an_exception_in_a_worker_is_a_lost_item_with_its_exit_status() -> None:
    parent = os.getpid()

    def work(item: int) -> int:
        time.sleep(0.005)
        if os.getpid() != parent and item % 2:
            raise RuntimeError("boom")
        return item

    results = _run(list(range(40)), work)
    lost = [r for r in results if isinstance(r, tuple)]
    assert lost and all("exit status 1" in reason for _, _, reason in lost)


def test_strings_with_lone_surrogates_survive() -> None:
    """File names that are not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    name = b"model-\xff.pkl".decode("utf-8", "surrogateescape")
    assert _run([0, 1, 2, 3], lambda item: f"{name}{item}") == [f"{name}{i}" for i in range(4)]


def test_other_threads_keep_the_work_in_this_process() -> None:
    """A fork copies only the calling thread: a lock another one held would never be freed."""
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert set(_run(list(range(20)), lambda _: os.getpid(), workers=4)) == {os.getpid()}
    finally:
        release.set()
        thread.join()
