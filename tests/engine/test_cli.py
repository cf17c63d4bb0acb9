"""The verify/init/attest/checks commands: exit codes and one-line errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsvs.cli.main import main


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text("import pickle\n")
    return tmp_path


def test_malformed_config_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    (root / "mlsvs.toml").write_text('level = "L1"\ncolour = "red"\n')
    assert main(["verify", str(root), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "mlsvs.toml:2" in err and "colour" in err
    assert "Traceback" not in err


def test_broken_attestation_is_reported_and_the_run_continues(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "attestations").mkdir()
    (root / "attestations" / "bad.yaml").write_text("requirement: [unclosed\n")
    (root / "dangling.pkl").symlink_to(root / "missing.pkl")
    out = tmp_path / "r.json"
    assert main(["verify", str(root), "--no-progress", "-f", f"json:{out}"]) == 1
    data = json.loads(out.read_text())
    paths = {p["path"] for p in data["problems"]}
    assert "attestations/bad.yaml" in paths
    assert "dangling.pkl" in paths
    assert data["verdicts"], "the run went on and decided every requirement"


def test_unknown_format_and_level(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    assert main(["verify", str(root), "-f", "pdf"]) == 2
    assert "unknown output format 'pdf'" in capsys.readouterr().err
    assert main(["verify", str(root), "--level", "L7"]) == 2
    assert "unknown level" in capsys.readouterr().err


def test_init_then_verify_reaches_no_level_but_declares_profile(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert main(["init", str(root)]) == 0
    assert main(["init", str(root)]) == 2  # refuses to overwrite
    out = tmp_path / "r.json"
    main(["verify", str(root), "--no-progress", "-f", f"json:{out}"])
    verdicts = {v["requirement"]: v["verdict"] for v in json.loads(out.read_text())["verdicts"]}
    assert verdicts["M1.1.2"] == "pass"
    assert verdicts["M4.2.1"] == "pass"  # importing pickle is not loading anything


def test_checks_explain_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "explain", "MLC703"]) == 0
    assert "M1.3.1" in capsys.readouterr().out
    assert main(["checks", "explain", "MLC999"]) == 2
