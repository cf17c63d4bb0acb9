"""Notebooks from real repositories: other kernels, IPython magics, shell escapes (issue 12).

One notebook the rules cannot read is a problem of that notebook; the rest of the run goes on
and the Python around magics is still scanned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsvs.cli.main import main
from mlsvs.codescan import scan_notebook
from mlsvs.codescan.notebook import python_of_cell


def _notebook(cells: list[str], *, language: str | None = "python") -> str:
    metadata: dict[str, object] = {}
    if language is not None:
        metadata = {
            "kernelspec": {"name": "k", "display_name": language, "language": language},
            "language_info": {"name": language},
        }
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": metadata,
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "outputs": [],
                    "execution_count": None,
                    "source": source.splitlines(keepends=True),
                }
                for source in cells
            ],
        }
    )


HASKELL = [
    'import qualified Data.Map as M\nmain :: IO ()\nmain = print (M.fromList [(1, "a")])\n',
    ":t map\n",
]
MAGICS = [
    "%pip install torch==2.6.0 \\\n    transformers\n",
    "!ls -la | head\nfiles = !ls *.pt\n",
    "%%bash\nfor f in *.pt; do echo $f; done\n",
    "\n\n%%capture out\nimport torch\n",
    "%matplotlib inline\nimport torch\nmodel = torch.load(files[0])\n",
    "for f in files:\n    !echo {f}\n    %time x = torch.load(f)\n",
    "torch.load?\n",
    "    import pickle\n    obj = pickle.load(open('m.pkl', 'rb'))\n",
]


def test_other_kernel_is_skipped_not_an_error() -> None:
    result = scan_notebook(_notebook(HASKELL, language="haskell"), path="nb.ipynb")
    assert result.errors == () and result.findings == ()
    assert "haskell" in result.skipped


@pytest.mark.parametrize("language", ["R", "julia"])
def test_r_and_julia_kernels_are_skipped(language: str) -> None:
    result = scan_notebook(_notebook(["x <- 1\n"], language=language), path="nb.ipynb")
    assert result.skipped and not result.errors


def test_magics_are_masked_and_the_python_around_them_is_scanned() -> None:
    result = scan_notebook(_notebook(MAGICS), path="nb.ipynb")
    assert result.errors == ()
    assert result.skipped_cells == ("cell 3 (%%bash)",)
    hits = {(f.cell, f.rule.value) for f in result.findings}
    # torch.load after %matplotlib, torch.load behind %time inside a loop, pickle in a cell
    # that IPython dedents: all found.
    cells = {cell for cell, _ in hits}
    assert {5, 6, 8} <= cells


def test_continued_magic_lines_keep_line_numbers() -> None:
    source = "%pip install a \\\n    b \\\n    c\nimport pickle\npickle.loads(data)\n"
    python = python_of_cell(source)
    assert python is not None
    assert python.split("\n")[3:5] == ["import pickle", "pickle.loads(data)"]


def test_one_bad_notebook_never_ends_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "haskell.ipynb").write_text(_notebook(HASKELL, language="haskell"))
    (tmp_path / "magics.ipynb").write_text(_notebook(MAGICS))
    (tmp_path / "py2.ipynb").write_text(_notebook(["print 'hello'\n", "import os\n"]))
    (tmp_path / "truncated.ipynb").write_text(_notebook(MAGICS)[:200])
    (tmp_path / "clean.py").write_text("import json\nprint(json.dumps({}))\n")
    assert main(["code", str(tmp_path), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == 5
    assert doc["not_analysed"] == [str(tmp_path / "py2.ipynb"), str(tmp_path / "truncated.ipynb")]
    assert [s["path"] for s in doc["skipped"]] == [str(tmp_path / "haskell.ipynb")]
    assert any(f["path"].endswith("magics.ipynb") for f in doc["findings"])
    # A directory holding only an other-language notebook and clean code is clean.
    (tmp_path / "py2.ipynb").unlink()
    (tmp_path / "truncated.ipynb").unlink()
    (tmp_path / "magics.ipynb").unlink()
    assert main(["code", str(tmp_path)]) == 0
    assert "1 file(s) in another language skipped" in capsys.readouterr().err
