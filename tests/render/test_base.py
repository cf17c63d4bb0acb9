from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

import pytest

from mlsvs.errors import MlsvsError, UsageError
from mlsvs.render import base
from mlsvs.render.base import OutputSpec, load_renderers, parse_output_specs, write_outputs

BUILTIN = {"terminal", "json", "markdown", "html", "sarif", "junit", "cyclonedx"}


def test_every_builtin_renderer_loads_through_entry_points():
    renderers = load_renderers()
    assert set(renderers) >= BUILTIN
    for name, cls in renderers.items():
        assert cls.name == name
        assert cls.suffix.startswith(".")
        assert cls.binary is False
        assert isinstance(cls(), base.Renderer)


def test_parse_output_specs_default_paths_and_stdout():
    assert parse_output_specs(None) == (OutputSpec(format="terminal"),)
    specs = parse_output_specs(["terminal", "SARIF:out/r.sarif", "json:-"])
    assert specs == (
        OutputSpec(format="terminal", path="-"),
        OutputSpec(format="sarif", path="out/r.sarif"),
        OutputSpec(format="json", path="-"),
    )
    assert [s.to_stdout for s in specs] == [True, False, True]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["pdf"], "unknown output format 'pdf'"),
        (["html:"], "empty path"),
        ([":x.html"], "empty format"),
        (["html:a.html", "json:./a.html"], "same file"),
    ],
)
def test_parse_output_specs_rejects_bad_values(values, message):
    with pytest.raises(UsageError, match=message):
        parse_output_specs(values)


def test_unknown_renderer_is_a_usage_error():
    with pytest.raises(UsageError, match=r"available: .*html"):
        base.load_renderer("nope")


def test_write_outputs_creates_parent_dirs_and_writes_stdout(tmp_path, assessment):
    stdout = io.StringIO()
    target = tmp_path / "deep" / "er" / "report.md"
    written = write_outputs(
        assessment,
        parse_output_specs([f"markdown:{target}", "json"]),
        stdout=stdout,
    )
    assert written == (str(target),)
    assert target.read_text(encoding="utf-8").startswith("## ")
    assert stdout.getvalue().lstrip().startswith("{")
    assert not list(target.parent.glob(".*mlsvs-tmp"))


class _Boom:
    name: ClassVar[str] = "boom"
    suffix: ClassVar[str] = ".txt"
    binary: ClassVar[bool] = False

    def render(self, assessment, out):
        out.write("partial")
        raise RuntimeError("renderer crashed")


def test_failed_render_leaves_no_file(tmp_path, assessment, monkeypatch):
    monkeypatch.setattr(base, "load_renderer", lambda name: _Boom)
    target = tmp_path / "r.txt"
    with pytest.raises(RuntimeError):
        write_outputs(assessment, (OutputSpec(format="boom", path=str(target)),))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path_is_a_one_line_error(tmp_path, assessment):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MlsvsError) as info:
        write_outputs(assessment, (OutputSpec(format="json", path=str(blocker / "r.json")),))
    assert "\n" not in info.value.diagnostics()
    assert str(blocker / "r.json") in info.value.diagnostics()


def test_requirement_titles_reach_renderers_that_accept_them():
    from mlsvs.render.markdown import MarkdownRenderer
    from mlsvs.render.sarif import SarifRenderer

    titles = {"M4.1.1": "Safe formats"}
    sarif = base.instantiate(SarifRenderer, titles)
    assert isinstance(sarif, SarifRenderer)
    assert sarif.requirement_titles == titles
    assert isinstance(base.instantiate(MarkdownRenderer, titles), MarkdownRenderer)


def test_files_are_written_with_unix_newlines(tmp_path: Path, assessment):
    target = tmp_path / "r.md"
    write_outputs(assessment, (OutputSpec(format="markdown", path=str(target)),))
    assert b"\r\n" not in target.read_bytes()
