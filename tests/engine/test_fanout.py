"""``mlsvs.util.fanout``: forked workers share a queue; every item is worked once, in order.

``fan_out`` works alone while other threads run (a fork copies only the calling thread), and a
test process may hold threads other tests left behind: the tests that need real workers run
their body in a fresh interpreter (``fresh``), which has none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlsvs.util.fanout import available, fan_out

pytestmark = pytest.mark.skipif(not available(), reason="fan_out forks workers on Linux only")

_PRELUDE = """
import os, signal, sys, tempfile, time
from mlsvs.util.fanout import fan_out

def run(items, work, workers=2):
    return fan_out(
        items,
        work,
        workers=workers,
        encode=lambda result: result,
        decode=lambda value: tuple(value) if isinstance(value, list) else value,
        lost=lambda item, reason: ("lost", item, reason),
    )

PARENT = os.getpid()
MARKS = tempfile.mkdtemp()


def rendezvous():
    # Each process notes its first item; the parent's first item then waits (30 s at most)
    # for a worker's note, so a worker has surely taken an item, however slow it is to start.
    me = os.path.join(MARKS, str(os.getpid()))
    if os.path.exists(me):
        return
    open(me, "w").close()
    deadline = time.monotonic() + 30
    while os.getpid() == PARENT and len(os.listdir(MARKS)) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
"""


def fresh(body: str, *args: str) -> None:
    """Run ``body`` (after ``_PRELUDE``) in a new interpreter; its assertions must hold."""
    done = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_results_come_back_in_order_from_several_processes(tmp_path: Path) -> None:
    fresh(
        """
        marks = sys.argv[1]

        def work(item):
            rendezvous()
            # Each item leaves a mark: a number handed to two workers would leave two.
            with open(os.path.join(marks, f"{item}.mark"), "a") as fh:
                fh.write(f"{os.getpid()}\\n")
            time.sleep(0.002 if item % 7 else 0.02)  # uneven costs, as in a real tree
            return item * item, os.getpid()

        results = run(list(range(120)), work, workers=3)
        assert [square for square, _ in results] == [i * i for i in range(120)]
        assert len({pid for _, pid in results}) > 1, "the work was not shared out"
        """,
        str(tmp_path),
    )
    marks = [(tmp_path / f"{i}.mark").read_text().splitlines() for i in range(120)]
    assert all(len(lines) == 1 for lines in marks)


def test_one_worker_or_one_item_runs_here() -> None:
    here = os.getpid()

    def run(items: list[int], workers: int) -> list[int]:
        return fan_out(
            items,
            lambda _: os.getpid(),
            workers=workers,
            encode=lambda result: result,
            decode=int,
            lost=lambda item, reason: -1,
        )

    assert run([1, 2, 3], workers=1) == [here] * 3
    assert run([1], workers=4) == [here]
    assert run([], workers=4) == []


def test_more_items_than_the_queue_holds_are_batched() -> None:
    fresh(
        """
        items = list(range(40_000))
        results = run(items, lambda item: rendezvous() or (item + 1, os.getpid()))
        assert [value for value, _ in results] == [item + 1 for item in items]
        assert len({pid for _, pid in results}) > 1
        """
    )


def test_a_worker_killed_mid_item_loses_that_item_only() -> None:
    fresh(
        """
        def work(item):
            rendezvous()
            if os.getpid() != PARENT:
                os.kill(os.getpid(), signal.SIGKILL)  # the worker's first item kills it
            return item

        results = run(list(range(40)), work)
        lost = [r for r in results if isinstance(r, tuple)]
        assert len(lost) == 1 and f"signal {signal.SIGKILL}" in lost[0][2], lost
        kept = [r for r in results if not isinstance(r, tuple)]
        assert kept == [i for i in range(40) if i != lost[0][1]]
        """
    )


def test_an_exception_in_a_worker_is_a_lost_item_with_its_exit_status() -> None:
    fresh(
        """
        def work(item):
            rendezvous()
            if os.getpid() != PARENT:
                raise RuntimeError("boom")  # the worker's first item
            return item

        results = run(list(range(40)), work)
        lost = [r for r in results if isinstance(r, tuple)]
        assert len(lost) == 1 and "exit status 1" in lost[0][2], lost
        """
    )


def test_strings_with_lone_surrogates_survive() -> None:
    """File names that are not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    fresh(
        """
        name = b"model-\\xff.pkl".decode("utf-8", "surrogateescape")

        def work(item):
            rendezvous()
            return f"{name}{item}", os.getpid()

        results = run(list(range(20)), work)
        assert [text for text, _ in results] == [f"{name}{i}" for i in range(20)]
        assert len({pid for _, pid in results}) > 1
        """
    )


def test_other_threads_keep_the_work_in_this_process() -> None:
    """A fork copies only the calling thread: a lock another one held would never be freed."""
    fresh(
        """
        import threading

        release = threading.Event()
        thread = threading.Thread(target=release.wait)
        thread.start()
        try:
            assert set(run(list(range(20)), lambda _: os.getpid(), workers=4)) == {PARENT}
        finally:
            release.set()
            thread.join()
        """
    )


def test_a_refused_fork_leaves_the_work_to_the_processes_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a process limit ``fork`` fails (EAGAIN): the scan goes on, never crashes."""
    import mlsvs.util.fanout as fanout

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(fanout, "_other_threads", lambda: False)  # reach the fork
    results = fan_out(
        list(range(10)),
        lambda item: item * 2,
        workers=4,
        encode=lambda result: result,
        decode=int,
        lost=lambda item, reason: -1,
    )
    assert results == [i * 2 for i in range(10)]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 2),
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_a_cgroup_cpu_quota_caps_the_usable_cpus(
    tmp_path: Path, files: dict[str, str], expected: int | None
) -> None:
    from mlsvs.util.fanout import _cgroup_cpus, usable_cpus

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert _cgroup_cpus(tmp_path) == expected
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus(tmp_path) == min(affinity, expected or affinity)
