"""``mlsvs code`` and ``mlsvs secrets``: formats, filters and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsvs.cli.main import main

HF = "hf_" + "Q7wErT9yUi0pAs2dFg4hJk6lZx8cVb1nM3"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(
        "import torch, yaml\ntorch.load('m.pt')\nyaml.load(open('c'))\n"
    )
    (tmp_path / "ok.py").write_text("import json\njson.loads('{}')\n")
    return tmp_path


def test_code_text_and_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", str(project)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(
        "bad.py:2:1: MLCODE001 [critical] torch.load without weights_only=True "
        "unpickles arbitrary objects (the default is only safe from torch 2.6)"
    )
    assert len(out) == 2
    assert main(["code", str(project / "ok.py")]) == 0


def test_code_rule_and_severity_filters(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", str(project), "--rule", "mlcode009", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in doc["findings"]] == ["MLCODE009"]
    assert doc["findings"][0]["requirements"] == ["M4.2.1"]
    assert main(["code", str(project), "--min-severity", "critical", "-f", "json"]) == 1
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["MLCODE001"]
    assert main(["code", str(project), "--torch-version", "2.6", "--min-severity", "medium"]) == 1


def test_code_sarif(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", str(project), "-f", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["partialFingerprints"]["mlsvs/finding/v1"]
    assert {r["ruleId"] for r in run["results"]} == {"MLCODE001", "MLCODE009"}


def test_code_bad_input_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", str(project / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["code", str(project), "--rule", "NOPE"]) == 2
    assert "unknown code rule" in capsys.readouterr().err
    assert main(["code", str(project), "--min-severity", "bad"]) == 2
    (project / "broken.py").write_text("def f(:\n")
    # One unparsable file is a problem of that file: the run goes on (never 2), not clean (1).
    assert main(["code", str(project)]) == 1
    err = capsys.readouterr().err
    assert "broken.py: line 1: syntax error" in err and "1 file(s) not fully analysed" in err


def test_secrets_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".env").write_text(f"HF_TOKEN={HF}\n")
    assert main(["secrets", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "secret.huggingface-token" in captured.out
    assert HF not in captured.out + captured.err
    assert main(["secrets", str(tmp_path), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["secrets"][0]["masked"] == "hf_Q…(37 chars)"
    (tmp_path / ".env").write_text("HF_TOKEN=${HF_TOKEN}\n")
    assert main(["secrets", str(tmp_path)]) == 0
    assert main(["secrets", str(tmp_path / "nope")]) == 2
    # One undecodable file is a problem of that file: named, the run goes on, never 2.
    (tmp_path / "notebook.ipynb").write_bytes(b"\xff\xfe{not json")
    (tmp_path / "config.yaml").write_text(f"token: {HF}\n")
    assert main(["secrets", str(tmp_path), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] and [s["rule"] for s in doc["secrets"]] == ["secret.huggingface-token"]
