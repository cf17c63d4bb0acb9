from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from mlsvs.cli.main import main
from mlsvs.render.json import dumps, load_assessment


def test_render_writes_every_format(tmp_path, capsys, assessment):
    results = tmp_path / "results.json"
    results.write_text(dumps(assessment), encoding="utf-8")
    out = tmp_path / "out"
    args = ["render", str(results)]
    for fmt, name in (
        ("html", "r.html"),
        ("sarif", "r.sarif"),
        ("junit", "r.xml"),
        ("cyclonedx", "r.cdx.json"),
        ("markdown", "r.md"),
        ("json", "r.json"),
        ("terminal", "r.txt"),
    ):
        args += ["-f", f"{fmt}:{out / name}"]
    assert main(args) == 0
    assert capsys.readouterr().out == ""
    assert load_assessment(out / "r.json") == assessment
    assert (out / "r.json").read_text(encoding="utf-8") == results.read_text(encoding="utf-8")
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((out / "r.cdx.json").read_text())["specVersion"] == "1.6"
    ET.parse(out / "r.xml")  # noqa: S314 - our own output
    assert "\x1b" not in (out / "r.txt").read_text()


def test_render_defaults_to_terminal_on_stdout(tmp_path, capsys, assessment):
    results = tmp_path / "results.json"
    results.write_text(dumps(assessment), encoding="utf-8")
    assert main(["render", str(results)]) == 0
    assert "Level achieved: none" in capsys.readouterr().out


def test_render_errors_are_one_line_exit_2(tmp_path, capsys, assessment):
    bad = tmp_path / "results.json"
    bad.write_text('{"schema_version": "7.0"}', encoding="utf-8")
    assert main(["render", str(bad), "-f", "html:x.html"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"mlsvs: error: {bad}: results schema_version 7.0 is not supported (this mlsvs reads 1.x); re-run mlsvs verify\n"
    )
    good = tmp_path / "good.json"
    good.write_text(dumps(assessment), encoding="utf-8")
    assert main(["render", str(good), "-f", "pdf"]) == 2
    assert "unknown output format 'pdf'" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
