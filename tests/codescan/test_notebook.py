"""Notebook parsing: magics masked with stable line numbers, per-cell errors, locations."""

from __future__ import annotations

import json

from mlsvs.codescan import CodeRule, scan_notebook
from mlsvs.codescan.notebook import parse_notebook, python_of_cell


def _nb(*sources: str, kind: str = "code") -> str:
    cells = [{"cell_type": kind, "metadata": {}, "outputs": [], "source": s} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_magics_become_pass_and_keep_line_numbers() -> None:
    source = "!pip install x\n%load_ext autoreload\nif True:\n    !ls\nx = !pwd\nobj?\ny = 1"
    masked = python_of_cell(source)
    assert masked is not None
    assert masked.split("\n") == ["pass", "pass", "if True:", "    pass", "pass", "pass", "y = 1"]


def test_non_python_cell_magic_is_skipped_and_time_magic_is_python() -> None:
    assert python_of_cell("%%bash\nrm -rf /tmp/x") is None
    assert python_of_cell("%%writefile a.py\nimport pickle") is None
    assert python_of_cell("%%time\nx = 1") == "\nx = 1"
    assert python_of_cell("%timeit -n1 f(x)") == "pass;" + " " * 7 + "f(x)"


def test_location_is_cell_and_line() -> None:
    text = _nb("import torch", "# note\n\ntorch.load('m.pt')")
    result = scan_notebook(text, path="nb.ipynb")
    [finding] = result.findings
    assert (finding.cell, finding.line, finding.rule) == (2, 3, CodeRule.MLCODE001)
    assert finding.where == "cell 2, line 3:1"
    assert finding.location.pointer == "cell 2"


def test_aliases_carry_across_cells_and_markdown_is_ignored() -> None:
    text = json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": ["import pickle as pk\n"], "outputs": []},
                {"cell_type": "markdown", "source": ["pk.loads(data)"]},
                {"cell_type": "code", "source": ["pk.loads(data)\n"], "outputs": []},
            ],
            "metadata": {},
        }
    )
    [finding] = scan_notebook(text, path="nb.ipynb").findings
    assert (finding.cell, finding.rule) == (3, CodeRule.MLCODE002)


def test_broken_cell_is_an_error_but_other_cells_are_scanned() -> None:
    result = scan_notebook(
        _nb("def broken(:\n    pass", "import pickle\npickle.loads(b'')"), path="n.ipynb"
    )
    assert result.errors == ("n.ipynb: cell 1: line 1: syntax error: invalid syntax",)
    assert [f.rule for f in result.findings] == [CodeRule.MLCODE002]


def test_invalid_notebook_json_is_an_error() -> None:
    result = scan_notebook("{not json", path="bad.ipynb")
    assert result.findings == ()
    assert result.errors and result.errors[0].startswith("bad.ipynb: invalid notebook JSON")
    assert scan_notebook('{"cells": 3}', path="b.ipynb").errors == (
        "b.ipynb: invalid notebook: no 'cells' list",
    )


def test_outputs_and_metadata_are_collected() -> None:
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "source": "print(1)",
                "outputs": [
                    {"output_type": "stream", "text": ["a\n", "b\n"]},
                    {
                        "output_type": "execute_result",
                        "data": {"text/plain": "'x'", "image/png": "AAA"},
                    },
                    {"output_type": "error", "traceback": ["Trace", "back"]},
                ],
            }
        ],
        "metadata": {"k": "v"},
    }
    notebook = parse_notebook(json.dumps(doc))
    assert notebook.cells[0].outputs == ("a\nb\n", "'x'", "Traceback")
    assert '"k": "v"' in notebook.metadata
