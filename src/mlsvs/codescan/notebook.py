"""Reading Jupyter notebooks without running them: cells, outputs and masked magics."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Cell magics whose body is still Python (the first line is the magic itself).
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "py", "python"})
_HELP_LINE = re.compile(r"^\s*[\w.]+\?\??\s*$|^\s*\?\??[\w.]+\s*$")
_TIMED_LINE = re.compile(r"^(?P<indent>[ \t]*)%(?:time|timeit|prun)\s+(?:-\S+\s+)*(?=\S)")
"""Line magics whose argument is a Python statement (at any indentation)."""
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
    language: str = "python"
    """Kernel language (``language_info.name``, else ``kernelspec.language``), lower case;
    ``python`` when the notebook does not say."""

    @property
    def is_python(self) -> bool:
        """Whether the code cells are (I)Python, so the Python rules apply."""
        return self.language in _PYTHON_LANGUAGES


_PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython3", "pyspark"})


def _language(metadata: object) -> str:
    if not isinstance(metadata, dict):
        return "python"
    info = metadata.get("language_info")
    spec = metadata.get("kernelspec")
    for value in (
        info.get("name") if isinstance(info, dict) else None,
        spec.get("language") if isinstance(spec, dict) else None,
    ):
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return "python"


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
    return Notebook(
        cells=tuple(cells),
        metadata=json.dumps(metadata, indent=1, sort_keys=True),
        language=_language(metadata),
    )


def cell_magic(source: str) -> str | None:
    """The cell magic a cell starts with (``bash`` for ``%%bash``), after leading blank lines
    as IPython skips them; None when there is none."""
    for line in source.split("\n"):
        if not line.strip():
            continue
        stripped = line.lstrip()
        if stripped.startswith("%%"):
            return stripped[2:].split(maxsplit=1)[0] if stripped[2:].strip() else ""
        return None
    return None


def _dedent_like_ipython(lines: list[str]) -> list[str]:
    """IPython removes the first code line's indentation from every line of the cell."""
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip())]
    if not indent:
        return lines
    return [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines]


def python_of_cell(source: str) -> str | None:
    """The cell as Python, IPython-only lines replaced by ``pass`` so line numbers stay put.

    Follows IPython's input transformers where they matter for parsing: leading blank lines
    and indentation are dropped, a cell magic must come first, line magics and shell escapes
    (``%pip``, ``!ls``, ``x = !ls``, ``obj?``) may sit at any indentation and continue over
    ``\\``-ended lines. Returns ``None`` for cells that are not Python at all (``%%bash``,
    ``%%writefile`` ...).
    """
    lines = _dedent_like_ipython(source.split("\n"))
    magic = cell_magic(source)
    if magic is not None:
        if magic not in _PYTHON_CELL_MAGICS:
            return None
        first = next(i for i, line in enumerate(lines) if line.strip())
        lines[first] = ""
    out: list[str] = []
    continued = False
    for line in lines:
        if continued:  # the rest of a magic or shell command continued with a backslash
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        timed = _TIMED_LINE.match(line)
        if timed:
            pad = timed.end() - len(timed["indent"])
            out.append(timed["indent"] + "pass;".ljust(pad) + line[timed.end() :])
        elif stripped.startswith(("%", "!")) or _HELP_LINE.match(line) or _ASSIGN_SHELL.match(line):
            out.append(f"{indent}pass")
            continued = line.rstrip().endswith("\\")
        else:
            out.append(line)
    return "\n".join(out)
