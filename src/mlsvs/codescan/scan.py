"""Entry points of the code rules: scan Python text, notebook JSON or a file on disk."""

from __future__ import annotations

import ast
import io
import stat
import tokenize
from typing import TYPE_CHECKING

from mlsvs.codescan.analyzer import Analyzer
from mlsvs.codescan.findings import CodeFinding, CodeScanResult
from mlsvs.codescan.names import Scopes
from mlsvs.codescan.notebook import NotebookError, cell_magic, parse_notebook, python_of_cell
from mlsvs.codescan.suppress import apply_suppressions, in_cell, parse_suppressions

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.codescan.calls import CallHit

MAX_BYTES = 20 * 1024 * 1024
"""Largest source file read (bigger files are reported, never silently skipped)."""


class CodeParseError(ValueError):
    """A module or cell that is not valid Python."""


def _column(lines: list[str], line: int, byte_offset: int) -> int:
    """1-based character column from ast's UTF-8 byte offset."""
    if 0 < line <= len(lines):
        return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1
    return byte_offset + 1


def _parse(source: str, where: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        line = f"line {exc.lineno}: " if exc.lineno else ""
        raise CodeParseError(f"{where}: {line}syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise CodeParseError(f"{where}: cannot parse: {type(exc).__name__}: {exc}") from None


def _findings(source: str, tree: ast.Module, analyzer: Analyzer) -> tuple[list[CodeFinding], int]:
    analyzer.hits = []
    analyzer.visit(tree)
    lines = source.split("\n")
    seen: set[tuple[str, int, int]] = set()
    found = [_finding(hit, lines) for hit in analyzer.hits]
    unique = []
    for f in sorted(found, key=lambda f: (f.line, f.column, f.rule.value)):
        key = (f.rule.value, f.line, f.column)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    try:
        suppressions = parse_suppressions(source)
    except (tokenize.TokenError, SyntaxError) as exc:  # pragma: no cover - ast parsed it
        raise CodeParseError(f"cannot tokenize: {exc}") from None
    return apply_suppressions(unique, suppressions)


def _finding(hit: CallHit, lines: list[str]) -> CodeFinding:
    line = getattr(hit.node, "lineno", 1)
    return CodeFinding(
        rule=hit.rule,
        severity=hit.severity or hit.rule.info.severity,
        message=hit.message,
        line=line,
        column=_column(lines, line, getattr(hit.node, "col_offset", 0)),
        end_line=getattr(hit.node, "end_lineno", None) or line,
    )


def _sorted(findings: list[CodeFinding]) -> tuple[CodeFinding, ...]:
    return tuple(
        sorted(findings, key=lambda f: (f.cell or 0, f.line, f.column, f.rule.value, f.message))
    )


def scan_python(source: str, *, path: str, torch_version: str | None = None) -> CodeScanResult:
    """Apply every code rule to one Python module. A syntax error is a per-file error."""
    try:
        tree = _parse(source, path)
        found, suppressed = _findings(source, tree, Analyzer(Scopes(), torch_version=torch_version))
    except CodeParseError as exc:
        return CodeScanResult(path=path, errors=(str(exc),))
    return CodeScanResult(path=path, findings=_sorted(found), suppressed=suppressed)


def scan_notebook(text: str, *, path: str, torch_version: str | None = None) -> CodeScanResult:
    """Apply the code rules to a notebook's code cells, in order, sharing module scope.

    Magics and shell escapes are masked; locations are ``cell N, line M``. A cell that does not
    parse is an error for the file; the other cells are still scanned.
    """
    try:
        notebook = parse_notebook(text)
    except NotebookError as exc:
        return CodeScanResult(path=path, errors=(f"{path}: {exc}",))
    if not notebook.is_python:
        return CodeScanResult(
            path=path,
            skipped=f"kernel language {notebook.language!r}: the Python code rules do not apply",
        )
    analyzer = Analyzer(Scopes(), torch_version=torch_version)
    found: list[CodeFinding] = []
    errors: list[str] = []
    other: list[str] = []
    suppressed = 0
    for cell in notebook.cells:
        if cell.kind != "code":
            continue
        source = python_of_cell(cell.source)
        if source is None:
            other.append(f"cell {cell.number} (%%{cell_magic(cell.source)})")
            continue
        try:
            tree = _parse(source, f"{path}: cell {cell.number}")
            cell_found, cell_suppressed = _findings(source, tree, analyzer)
        except CodeParseError as exc:
            errors.append(str(exc))
            continue
        found.extend(in_cell(cell_found, cell.number))
        suppressed += cell_suppressed
    return CodeScanResult(
        path=path,
        findings=_sorted(found),
        errors=tuple(errors),
        suppressed=suppressed,
        skipped_cells=tuple(other),
    )


def decode_source(data: bytes) -> str:
    """Decode Python source honouring its coding cookie (PEP 263)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def scan_file(
    file: Path, *, display: str, torch_version: str | None = None, max_bytes: int = MAX_BYTES
) -> CodeScanResult:
    """Read and scan one ``.py`` or ``.ipynb`` file; read and decode problems are errors."""
    try:
        st = file.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
            return CodeScanResult(
                path=display, errors=(f"{display}: not a regular file (FIFO or device); not read",)
            )
        size = st.st_size
        if size > max_bytes:
            return CodeScanResult(
                path=display, errors=(f"{display}: {size} bytes exceeds the {max_bytes} limit",)
            )
        data = file.read_bytes()
    except OSError as exc:
        return CodeScanResult(path=display, errors=(f"{display}: cannot read: {exc.strerror}",))
    try:
        text = decode_source(data) if file.suffix != ".ipynb" else data.decode("utf-8-sig")
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return CodeScanResult(path=display, errors=(f"{display}: cannot decode: {exc}",))
    if file.suffix == ".ipynb":
        return scan_notebook(text, path=display, torch_version=torch_version)
    return scan_python(text, path=display, torch_version=torch_version)
