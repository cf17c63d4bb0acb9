"""Reading Jupyter notebooks without running them: cells, outputs and masked magics."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Cell magics whose body is still Python (the first line is the magic itself).
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "py", "python"})
_HELP_LINE = re.compile(r"^\s*[\w.]+\?\??\s*$|^\s*\?\??[\w.]+\s*$")
_TIMED_LINE = re.compile(r"^%(?:time|timeit|prun)\s+(?:-\S+\s+)*(?=\S)")
"""Line magics whose argument is a Python statement (only at the top level)."""
_ASSIGN_SHELL = re.compile(r"^\s*[\w.,\s]+=\s*[!%]")


class NotebookError(ValueError):
    """The file is not a readable notebook (invalid JSON or structure)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One notebook cell."""

    number: int
    """1-based position among all cells."""
    kind: str
    """``code``, ``markdown`` or ``raw``."""
    source: str
    outputs: tuple[str, ...] = ()
    """Text of each output (stream text, text/* and JSON data, error tracebacks)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Notebook:
    """The parts of a notebook that matter for scanning."""

    cells: tuple[Cell, ...]
    metadata: str
    """Notebook metadata as JSON text (empty object when absent)."""


def _text(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise NotebookError(f"{where}: expected a string or a list of strings")


def _outputs(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise NotebookError(f"{where}: 'outputs' is not a list")
    texts: list[str] = []
    for out in raw:
        if not isinstance(out, dict):
            raise NotebookError(f"{where}: an output is not an object")
        if "text" in out:
            texts.append(_text(out["text"], where))
        if isinstance(out.get("traceback"), list):
            texts.append(_text(out["traceback"], where))
        data = out.get("data")
        if isinstance(data, dict):
            for mime in sorted(data):
                value = data[mime]
                if mime.startswith("text/") or mime.endswith("json"):
                    texts.append(
                        value
                        if isinstance(value, str)
                        else _text(value, where)
                        if isinstance(value, list)
                        else json.dumps(value, indent=1)
                    )
    return tuple(texts)


def parse_notebook(text: str) -> Notebook:
    """Parse notebook JSON (nbformat 4, and the ``worksheets`` layout of nbformat 3)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid notebook JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict):
        raise NotebookError("invalid notebook: top level is not an object")
    raw_cells = doc.get("cells")
    if raw_cells is None and isinstance(doc.get("worksheets"), list):
        raw_cells = [
            c for ws in doc["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])
        ]
    if not isinstance(raw_cells, list):
        raise NotebookError("invalid notebook: no 'cells' list")
    cells: list[Cell] = []
    for number, raw in enumerate(raw_cells, start=1):
        where = f"cell {number}"
        if not isinstance(raw, dict):
            raise NotebookError(f"{where}: not an object")
        kind = raw.get("cell_type", "")
        source = raw.get("source", raw.get("input", ""))
        cells.append(
            Cell(
                number=number,
                kind=str(kind),
                source=_text(source, where),
                outputs=_outputs(raw.get("outputs"), where),
            )
        )
    metadata = doc.get("metadata", {})
    return Notebook(cells=tuple(cells), metadata=json.dumps(metadata, indent=1, sort_keys=True))


def python_of_cell(source: str) -> str | None:
    """The cell as Python, IPython-only lines replaced by ``pass`` so line numbers stay put.

    Returns ``None`` for cells that are not Python at all (``%%bash``, ``%%writefile`` ...).
    """
    lines = source.split("\n")
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    out: list[str] = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        timed = _TIMED_LINE.match(line)
        if timed:
            out.append("pass;".ljust(timed.end()) + line[timed.end() :])
        elif stripped.startswith(("%", "!")) or _HELP_LINE.match(line) or _ASSIGN_SHELL.match(line):
            out.append(f"{indent}pass")
        else:
            out.append(line)
    return "\n".join(out)
