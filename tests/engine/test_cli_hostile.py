"""verify and scan on hostile trees: exit 2 with a reason, safe names in every format, partial
reports that cannot pass for complete ones."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlsvs.cli.main import main
from mlsvs.engine import runner

FORMATS = ("json", "sarif", "html", "junit", "markdown", "cyclonedx", "terminal")


def _bad_name_project(root: Path) -> Path:
    (root / ".git").mkdir()
    raw = os.fsencode(root) + b"/w\xffe\xc3(ird\x1b]0;x\x07\nname.pkl"
    with open(raw, "wb") as handle:
        handle.write(pickle.dumps({"a": 1}))
    (root / "train.py").write_text("import pickle\n")
    return root


def test_empty_project_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitkeep").touch()
    assert main(["verify", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nothing to assess" in err


def test_scan_of_no_files_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    assert main(["scan", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "nothing to scan" in err and err.count("\n") == 0


def test_scan_of_a_fifo_returns_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "model.pkl"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for target in (fifo, tmp_path):
        done = subprocess.run(
            [sys.executable, "-m", "mlsvs", "scan", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "FIFO" in done.stdout


def test_scan_json_has_no_lone_surrogates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _bad_name_project(tmp_path)
    main(["scan", str(root), "-f", "json"])
    out = capsys.readouterr().out
    out.encode("utf-8")  # would raise on a lone surrogate
    doc = json.loads(out)
    [entry] = [f for f in doc["files"] if f["path"].endswith("name.pkl")]
    assert "\\xff" in entry["path"] and "\n" not in entry["path"]


def test_every_format_carries_a_non_utf8_name(tmp_path: Path) -> None:
    root = _bad_name_project(_mk(tmp_path / "p"))
    specs = [f"{fmt}:{tmp_path / ('out.' + fmt)}" for fmt in FORMATS]
    args = ["verify", str(root), "--no-progress"]
    for spec in specs:
        args += ["-f", spec]
    assert main(args) == 1
    for fmt in FORMATS:
        text = (tmp_path / f"out.{fmt}").read_bytes().decode("utf-8")  # strict UTF-8
        assert "\udcff" not in text
    data = json.loads((tmp_path / "out.json").read_text())
    paths = {a["path"] for a in data["artifacts"]}
    assert any("\\xff" in p and "\\x1b" in p and "\n" not in p for p in paths)
    import xml.etree.ElementTree as ET

    ET.parse(tmp_path / "out.junit")  # noqa: S314 - our own output; must be valid XML
    for fmt in ("sarif", "cyclonedx"):
        json.loads((tmp_path / f"out.{fmt}").read_text())
    terminal = (tmp_path / "out.terminal").read_text()
    assert "\x1b]0;" not in terminal and "\x07" not in terminal


def _mk(path: Path) -> Path:
    path.mkdir()
    return path


def _interrupt_once(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    real_wait = runner.wait

    def wait(*args: object, **kwargs: object) -> object:
        if how == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "wait", wait)
    assert real_wait


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_run_never_replaces_a_complete_report(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    root = _mk(tmp_path / "p")
    (root / ".git").mkdir()
    (root / "train.py").write_text("import pickle\n")
    out = tmp_path / "report.json"
    assert main(["verify", str(root), "--no-progress", "-f", f"json:{out}"]) == 1
    complete = out.read_bytes()
    capsys.readouterr()
    _interrupt_once(monkeypatch, how)
    assert main(["verify", str(root), "--no-progress", "-f", f"json:{out}"]) == 2
    err = capsys.readouterr().err
    assert out.read_bytes() == complete  # the complete report is untouched
    partial = tmp_path / "report.partial.json"
    assert json.loads(partial.read_text())["interrupted"] is True
    assert "PARTIAL" in err and "report.partial.json" in err
    assert not list(tmp_path.glob(".*mlsvs-tmp"))  # no temporary file left behind


def test_interrupt_during_discovery_writes_nothing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlsvs.discovery

    root = _mk(tmp_path / "p")
    (root / "train.py").write_text("x = 1\n")

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(mlsvs.discovery, "discover", interrupted)
    out = tmp_path / "r.json"
    assert main(["verify", str(root), "--no-progress", "-f", f"json:{out}"]) == 2
    assert "no report written" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "r.partial.json").exists()


@pytest.mark.parametrize("command", ["code", "secrets"])
def test_code_and_secrets_never_open_a_fifo(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "train.py")
    (tmp_path / "ok.py").write_text("import os\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "mlsvs", command, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert "not a regular file" in done.stderr + done.stdout
