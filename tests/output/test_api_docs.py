"""The examples in docs/api.md run, in order, in a copy of examples/insecure-classifier."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)


def _blocks() -> list[str]:
    return FENCE.findall((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))


def test_the_page_has_examples() -> None:
    assert len(_blocks()) >= 6


@pytest.mark.slow
def test_api_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "insecure-classifier"
    shutil.copytree(ROOT / "examples" / "insecure-classifier", project)
    monkeypatch.chdir(project)
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path / "cache"))
    namespace: dict[str, object] = {"__name__": "api_docs"}
    for number, block in enumerate(_blocks(), 1):
        code = compile(block, f"docs/api.md example {number}", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation, run as the docs promise
    out = capsys.readouterr().out
    assert "insecure-classifier" in out and "M1.1.1" in out
    assert (project / "reports" / "mlsvs.sarif").is_file()
