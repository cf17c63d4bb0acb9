"""``-f FORMAT[:PATH]`` options: parsing and the stdout / file split (every command)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

STDOUT = "-"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputSpec:
    """One ``-f FORMAT[:PATH]`` option: a format and where it goes (``-`` = stdout)."""

    format: str
    path: str = STDOUT

    @property
    def to_stdout(self) -> bool:
        """Whether this output goes to standard output."""
        return self.path == STDOUT


def parse_output_specs(
    values: Iterable[str] | None, *, default: str, known: Iterable[str]
) -> tuple[OutputSpec, ...]:
    """Parse repeated ``-f FORMAT[:PATH]`` values; no value means ``default`` on stdout.

    Formats are checked against ``known`` and two outputs may not write the same file.
    Raises ``UsageError`` with a one-line message.
    """
    names = set(known)
    specs: list[OutputSpec] = []
    seen: set[str] = set()
    for raw in values or (default,):
        fmt, sep, path = raw.partition(":")
        fmt = fmt.strip().lower()
        if not fmt:
            raise UsageError(f"empty format in output {raw!r} (expected FORMAT[:PATH])")
        if fmt not in names:
            available = ", ".join(sorted(names)) or "none"
            raise UsageError(f"unknown output format {fmt!r} (available: {available})")
        if sep and not path:
            raise UsageError(f"empty path in output {raw!r} (use {fmt}:- for stdout)")
        spec = OutputSpec(format=fmt, path=path or STDOUT)
        if not spec.to_stdout:
            key = str(Path(spec.path).resolve())
            if key in seen:
                raise UsageError(f"two outputs write the same file: {spec.path}")
            seen.add(key)
        specs.append(spec)
    return tuple(specs)
