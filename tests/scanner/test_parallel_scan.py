"""``scan_tree`` in several processes reports what one process reports, file for file."""

from __future__ import annotations

import os
import pickle
import signal
import time
from pathlib import Path

import pytest

from mlsvs.scanner import api
from mlsvs.scanner.report import ScanReport, from_record, to_record
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
    return root


def test_records_carry_every_field(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    reports, _ = api.scan_tree([root, root / "README.md"])  # given by name: scanned, as text
    assert any(r.findings for r in reports) and any(r.content for r in reports)
    assert any(f.location.offset is not None and f.facts for r in reports for f in r.findings)
    for report in reports:
        assert from_record(to_record(report)) == report


@needs_fork
def test_several_workers_report_what_one_reports(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    one = api.scan_tree([root], jobs=1)
    assert one[1] == 42  # README, PNG and the notes are skipped
    assert {Path(r.path).name for r in one[0]} >= {"evil.pkl", "state.pkl", "blob.bin"}
    assert api.scan_tree([root], jobs=3) == one
    assert api.scan_paths([root], jobs=2) == one[0]
    assert api.scan_targets(api.expand([root]), jobs=2) == one[0]


@needs_fork
def test_a_worker_that_dies_leaves_its_file_not_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash (here: the worker kills itself on its first file) is never a clean file."""
    root = _tree(tmp_path)
    expected = {r.path: r for r in api.scan_tree([root])[0]}
    parent = os.getpid()
    real_worth = api._worth_scanning

    def dying(path: str, *, listed_regular: bool = False) -> bool:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.005)  # the worker surely takes a file before the queue is empty
        return real_worth(path, listed_regular=listed_regular)

    monkeypatch.setattr(api, "_worth_scanning", dying)
    reports, _ = api.scan_tree([root], jobs=2)
    lost = [r for r in reports if r != expected.get(r.path)]
    assert len(lost) == 1, lost
    assert isinstance(lost[0], ScanReport) and not lost[0].verified and not lost[0].clean
    assert f"signal {signal.SIGKILL}" in lost[0].findings[0].message
    assert {r.path for r in reports} - {lost[0].path} <= set(expected)
