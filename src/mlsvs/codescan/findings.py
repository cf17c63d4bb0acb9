"""Frozen results of a code scan: one finding per rule hit, plus per-file errors."""

from __future__ import annotations

from dataclasses import dataclass

from mlsvs.codescan.rules import CodeRule
from mlsvs.model.result import Location, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFinding:
    """One rule hit in a Python file or a notebook cell."""

    rule: CodeRule
    severity: Severity
    message: str
    line: int
    """1-based line in the file, or in the cell for notebooks."""
    column: int
    """1-based column."""
    end_line: int = 0
    cell: int | None = None
    """1-based cell number (counting every cell) for notebooks."""
    about: CodeRule | None = None
    """For suppression findings (MLCODE090/091): the rule the comment names."""

    @property
    def location(self) -> Location:
        """Where the hit is, as a report ``Location`` (cell in ``pointer``)."""
        pointer = None if self.cell is None else f"cell {self.cell}"
        return Location(line=self.line, column=self.column, pointer=pointer)

    @property
    def where(self) -> str:
        """``line 3:5`` or ``cell 2, line 3:5``."""
        place = f"line {self.line}:{self.column}"
        return place if self.cell is None else f"cell {self.cell}, {place}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeScanResult:
    """Everything the code rules found in one file."""

    path: str
    findings: tuple[CodeFinding, ...] = ()
    errors: tuple[str, ...] = ()
    """Parse or read errors (a syntax error, invalid notebook JSON): fail closed."""
    suppressed: int = 0
    """Hits silenced by a suppression comment with a reason."""
    skipped: str = ""
    """Why the file is outside the rules' scope (a notebook whose kernel is not Python)."""
    skipped_cells: tuple[str, ...] = ()
    """Cells not analysed because they are another language (``%%bash``, ``%%R`` ...)."""

    @property
    def clean(self) -> bool:
        """No findings and no errors."""
        return not self.findings and not self.errors
