"""``scan_tree`` in several processes reports what one process reports, file for file."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlsvs.scanner import api
from mlsvs.scanner.report import from_record, to_record
from mlsvs.util.fanout import available

needs_fork = pytest.mark.skipif(not available(), reason="workers are forked on Linux only")

# GLOBAL os.system, a string, REDUCE: never loaded here, only scanned.
_SYSTEM_CALL = b"cos\nsystem\n(S'touch /nonexistent/marker'\ntR."


def _tree(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "README.md").write_text("# a model\n\nIt reads tokens 模型 🙂\n")
    (root / "evil.pkl").write_bytes(_SYSTEM_CALL)
    (root / "sub" / "state.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0], "n": 3}))
    (root / "sub" / "blob.bin").write_bytes(bytes(range(256)) * 8)  # unidentified: not verified
    (root / "sub" / "deeper" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (root / "sub" / "deeper" / "empty.pt").write_bytes(b"")  # a model that is missing
    name = os.fsdecode(b"odd-\xff.pkl")  # not UTF-8: a lone surrogate in the path
    (root / "sub" / name).write_bytes(_SYSTEM_CALL.replace(b"system", b"popen"))
    for i in range(40):
        (root / "sub" / f"notes{i:02}.txt").write_text(f"note {i}\n" * 50)
    os.mkfifo(root / "sub" / "pipe.pkl")  # reported, never opened: a worker must not hang
    (root / "sub" / "dangling.pt").symlink_to(root / "nowhere")
    (root / "link.pkl").symlink_to(root / "evil.pkl")
    (root / "loop").symlink_to(root / "sub", target_is_directory=True)  # not followed
    return root


def test_records_carry_every_field(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    reports, _ = api.scan_tree([root, root / "README.md"])  # given by name: scanned, as text
    assert any(r.findings for r in reports) and any(r.content for r in reports)
    assert any(f.location.offset is not None and f.facts for r in reports for f in r.findings)
    for report in reports:
        assert from_record(to_record(report)) == report


def _fresh(body: str, root: Path) -> None:
    """Run ``body`` in a new interpreter (no threads other tests left behind, so the workers
    are really forked) with ``root`` as ``ROOT``; its assertions must hold."""
    prelude = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from mlsvs.scanner import api\n"
        "from mlsvs.util import fanout\n"
        "ROOT = Path(sys.argv[1])\n"
        "assert not fanout._other_threads()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(body), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@needs_fork
def test_several_workers_report_what_one_reports(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    one = api.scan_tree([root], jobs=1)
    assert one[1] == 42  # README, PNG and the notes are skipped
    names = {Path(r.path).name: r for r in one[0]}
    assert {"evil.pkl", "link.pkl", "state.pkl", "blob.bin"} <= set(names)
    assert names["pipe.pkl"].errors and names["dangling.pt"].errors
    _fresh(
        """
        one = api.scan_tree([ROOT], jobs=1)
        assert api.scan_tree([ROOT], jobs=3) == one
        assert api.scan_paths([ROOT], jobs=2) == one[0]
        assert api.scan_targets(api.expand([ROOT]), jobs=2) == one[0]
        """,
        root,
    )


@needs_fork
def test_a_worker_that_dies_leaves_its_file_not_verified(tmp_path: Path) -> None:
    """A crash (here: the worker kills itself on its first file) is never a clean file."""
    _fresh(
        """
        expected = {r.path: r for r in api.scan_tree([ROOT])[0]}
        parent = os.getpid()
        real_worth = api._worth_scanning

        started = ROOT.parent / "worker-started"

        def dying(path, *, listed_regular=False):
            if os.getpid() != parent:
                started.touch()
                os.kill(os.getpid(), signal.SIGKILL)
            deadline = time.monotonic() + 30
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.002)  # until the worker has surely taken a file
            return real_worth(path, listed_regular=listed_regular)

        api._worth_scanning = dying
        reports, _ = api.scan_tree([ROOT], jobs=2)
        lost = [r for r in reports if r != expected.get(r.path)]
        assert len(lost) == 1, lost
        assert not lost[0].verified and not lost[0].clean
        assert f"signal {signal.SIGKILL}" in lost[0].findings[0].message
        assert {r.path for r in reports} - {lost[0].path} <= set(expected)
        """,
        _tree(tmp_path),
    )


@needs_fork
def test_the_console_scan_with_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    """End to end, as users run it: default workers against ``-j 1``, same JSON, same exit."""
    root = _tree(tmp_path / "tree")
    runs = []
    for jobs, name in ((["-j", "2"], "two.json"), (["-j", "1"], "one.json")):
        out = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "mlsvs", "scan", str(root), *jobs, "-f", f"json:{out}", "-q"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        runs.append((done.returncode, done.stdout, out.read_text()))
    assert runs[0] == runs[1]
    assert runs[0][0] == 1  # the malicious pickles


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_progress_and_then_a_clean_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlsvs.cli.main import main

    root = _tree(tmp_path / "tree")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["scan", str(root), "-j", "1", "-f", f"json:{tmp_path / 'a.json'}"]) == 1
    shown = terminal.getvalue()
    total = len(api._entries([root]))
    assert f"\rmlsvs scan: examined {total:,}/{total:,} files" in shown
    assert shown.index("\r\x1b[K") > shown.rindex("examined")  # erased before the summary
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    main(["scan", str(root), "-q", "-f", f"json:{tmp_path / 'b.json'}"])
    assert "examined" not in quiet.getvalue()


def test_progress_counts_up_to_every_item() -> None:
    """One process: after each item. Workers (a fresh interpreter): monotone, ending at all."""
    from mlsvs.util.fanout import fan_out

    seen: list[tuple[int, int]] = []
    fan_out(
        list(range(5)),
        lambda item: item,
        workers=1,
        encode=lambda result: result,
        decode=int,
        lost=lambda item, reason: -1,
        progress=lambda started, total: seen.append((started, total)),
    )
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    if available():
        _fresh(
            """
            seen = []
            fanout.fan_out(
                list(range(60)),
                lambda item: time.sleep(0.002) or item,
                workers=2,
                encode=lambda result: result,
                decode=int,
                lost=lambda item, reason: -1,
                progress=lambda started, total: seen.append((started, total)),
            )
            assert seen[-1] == (60, 60) and all(total == 60 for _, total in seen), seen
            assert [s for s, _ in seen] == sorted(s for s, _ in seen), seen
            assert 1 < len(seen) < 62, seen  # the parent's items, and once at the end
            """,
            Path("."),
        )
