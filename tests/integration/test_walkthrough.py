"""Run every command of docs/walkthrough-own-project.md, in order, on a fresh project."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from mlsvs.cli.main import main

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "walkthrough-own-project.md"
_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def commands() -> list[tuple[list[str], int]]:
    """(argv after ``mlsvs``, expected exit code) for every ``$ mlsvs`` line of the page."""
    out = []
    for block in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if not line.startswith("$ mlsvs "):
                continue
            text = line.removeprefix("$ mlsvs ")
            code = 0
            if match := _EXIT.search(text):
                code = int(match[1])
                text = text[: match.start()]
            out.append((shlex.split(text), code))
    return out


def test_the_page_has_the_commands_a_newcomer_needs():
    names = [argv[0] for argv, _ in commands()]
    assert names[0] == "init" and {"verify", "attest", "bom", "render"} <= set(names)


@pytest.mark.slow
def test_walkthrough_commands_run(tmp_path, monkeypatch, capsys):
    project = tmp_path / "my-project"
    shutil.copytree(REPO / "examples" / "insecure-classifier", project)
    (project / "mlsvs.toml").unlink()  # a project that has never seen mlsvs
    monkeypatch.chdir(project)
    for argv, expected in commands():
        assert main(argv) == expected, argv
    capsys.readouterr()
    assert (project / "mlsvs.toml").is_file()
    assert (project / "attestations" / "M1.3.1.yaml").is_file()
    bom = json.loads((project / "bom.cdx.json").read_text())
    assert bom["serialNumber"].startswith("urn:uuid:")
    second = json.loads((project / "out" / "results-2.json").read_text())
    assert len(second["trend"]) == 1 and second["requirements"]
    assert "Trend (2 runs)" in (project / "out" / "report.html").read_text()
    # the BOM written in step 4 is evidence in the second run
    first = json.loads((project / "out" / "results.json").read_text())
    m111 = {v["requirement"]: v for v in first["verdicts"]}["M1.1.1"]
    assert any(v["requirement"] == "M1.1.1" for v in second["verdicts"]) and m111
    assert "**To reach L1:**" in (project / "out" / "summary.md").read_text()
