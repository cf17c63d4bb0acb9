"""The console script ends ``mlsvs scan`` without interpreter teardown (``os._exit``).

What must still hold: every byte of a report larger than the pipe buffer reaches the reader,
the exit code is the scan's, and commands that do not declare ``SKIP_TEARDOWN`` exit normally.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mlsvs.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]


def _mlsvs(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "mlsvs", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_large_json_report_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    # 400 files -> a JSON report of well over the 64 KiB a pipe buffers.
    for i in range(400):
        (tmp_path / f"vocab_{i:03d}.pkl").write_bytes(pickle.dumps({f"token{i}": i}, protocol=4))
    proc = _mlsvs("scan", str(tmp_path), "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout) > 64 * 1024
    report = json.loads(proc.stdout)
    assert len(report["files"]) == 400


def test_exit_code_is_the_scans(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")  # never loaded
    proc = _mlsvs("scan", str(tmp_path / "model.pkl"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "PKL001" in proc.stdout


@pytest.mark.parametrize(
    ("argv", "skips"),
    [
        (["scan", "x.pkl"], True),
        (["-v", "scan", "x.pkl"], True),
        (["catalog", "list"], False),
        (["--version"], False),
        ([], False),
    ],
)
def test_only_commands_that_declare_it_skip_teardown(argv: list[str], skips: bool) -> None:
    import mlsvs.cli.catalog  # loaded, as after a run
    import mlsvs.cli.scan  # noqa: F401

    assert cli_main._skips_teardown(argv) is skips
