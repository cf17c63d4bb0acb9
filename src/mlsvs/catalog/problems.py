"""A problem found while validating catalog files: where it is and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class CatalogProblem:
    """One validation problem, located at ``file:line`` where the line is known."""

    file: str
    """Path of the offending file, relative to the validated directory where possible."""
    line: int | None
    """1-based line of the offending key or list item; ``None`` when not known."""
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


def sort_problems(problems: list[CatalogProblem]) -> list[CatalogProblem]:
    """File, then line (unknown lines first), then message: a stable report order."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
