from __future__ import annotations

import json

import pytest

from mlsvs.cli.main import main

from .helpers import FEATURES, card, numeric_rows, write_csv

HEADER = [*FEATURES, "y"]


def _split_project(root, leak: int = 0):
    (root / "mlsvs.toml").write_text('name = "p"\n')
    train = numeric_rows(1, 300)
    test = numeric_rows(2, 80)
    test[:leak] = [list(r) for r in train[:leak]]
    write_csv(root / "data" / "train.csv", HEADER, train)
    write_csv(root / "data" / "test.csv", HEADER, test)


def test_manifest_and_verify(tmp_path, monkeypatch, capsys) -> None:
    _split_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["data", "manifest", "data", "-o", "mlsvs-data-manifest.json", "--records"]) == 0
    assert "2 file(s), 380 record hash(es)" in capsys.readouterr().out
    assert main(["data", "verify", "mlsvs-data-manifest.json"]) == 0
    assert "OK: 2 of 2 file(s) match" in capsys.readouterr().out
    lines = (tmp_path / "data" / "test.csv").read_text().splitlines()
    lines[5] = "1,2,3,4,0"
    (tmp_path / "data" / "test.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "data" / "new.csv").write_text("a\n1\n")
    assert main(["data", "verify", "mlsvs-data-manifest.json", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    files = {f["path"]: f for f in doc["results"][0]["files"]}
    assert files["data/new.csv"]["state"] == "added"
    assert files["data/test.csv"]["records"]["changed_rows"] == [5]
    (tmp_path / "broken.json").write_text("{")
    assert main(["data", "verify", "broken.json"]) == 2
    assert main(["data", "manifest", "/", "-o", "m.json"]) == 2
    assert "must lie under" in capsys.readouterr().err


def test_leakage_command(tmp_path, monkeypatch, capsys) -> None:
    _split_project(tmp_path, leak=4)
    assert main(["data", "leakage", str(tmp_path)]) == 1
    assert "4 exact + 0 near duplicate(s) of 80 test row(s)" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert main(["data", "leakage", "--train", "data/train.csv", "--test", "data/train.csv",
                 "-f", "json"]) == 1  # fmt: skip
    [pair] = json.loads(capsys.readouterr().out)["pairs"]
    assert pair["overlap"]["exact"] == 300
    _split_project(tmp_path, leak=0)
    assert main(["data", "leakage", "."]) == 0
    assert main(["data", "leakage", "--train", "data/train.csv"]) == 2


def test_pii_command(tmp_path, capsys) -> None:
    import random

    rng = random.Random(0)
    rows = [[f"p{i}@example.com", card(rng), "+44 20 7946 0958", i] for i in range(5)]
    write_csv(tmp_path / "people.csv", ["email", "card", "phone", "x"], rows)
    write_csv(tmp_path / "clean.csv", ["x"], [[1], [2]])
    (tmp_path / "bad.csv").write_bytes(b"a,b\n1\n")
    assert main(["data", "pii", str(tmp_path / "people.csv"), "-f", "json"]) == 1
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert report["by_entity"] == {"credit_card": 5, "email": 5, "phone": 5}
    assert all("@example.com" not in s for c in report["columns"] for s in c["samples"])
    assert main(["data", "pii", str(tmp_path / "clean.csv")]) == 0
    assert main(["data", "pii", str(tmp_path)]) == 2  # bad.csv is ragged, the rest still runs
    out = capsys.readouterr().out
    assert "ragged row" in out and "people.csv" in out and "clean.csv" in out


def test_quality_command(tmp_path, capsys) -> None:
    pytest.importorskip("sklearn")
    write_csv(tmp_path / "train.csv", HEADER, numeric_rows(1, 300))
    assert main(["data", "quality", str(tmp_path / "train.csv"), "--label", "y"]) == 0
    out = capsys.readouterr().out
    assert "estimated label noise" in out and out.rstrip().endswith(": ok")
    rows = numeric_rows(1, 300) + [list(numeric_rows(1, 1)[0]) for _ in range(30)]
    write_csv(tmp_path / "dup.csv", HEADER, rows)
    assert main(["data", "quality", str(tmp_path / "dup.csv"), "--label", "y", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "fail" and "duplicate_rate" in doc["reasons"][0]
    noise = doc["measurements"]["label_noise_rate"]
    assert noise["lower"] <= noise["value"] <= noise["upper"] and noise["threshold"] == 0.02
    write_csv(tmp_path / "nolabel.csv", [*FEATURES, "z"], numeric_rows(1, 20))
    assert main(["data", "quality", str(tmp_path / "nolabel.csv")]) == 2
    assert "no label column found" in capsys.readouterr().err
