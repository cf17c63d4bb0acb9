"""Write a findings report in every requested format (atomically, one file per format)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import TextIO

    from mlsvs.output.report import FindingsReport
    from mlsvs.output.spec import OutputSpec

FINDINGS_FORMATS = ("sarif", "junit", "markdown", "gitlab-sast")
"""Formats rendered from the findings report; commands add ``text`` and ``json`` (native)."""


def render_report(report: FindingsReport, fmt: str) -> str:
    """One format of ``report`` as text."""
    if fmt == "sarif":
        from mlsvs.output.sarif import sarif_text

        return sarif_text(report)
    if fmt == "junit":
        from mlsvs.output.junit import junit_text

        return junit_text(report)
    if fmt == "markdown":
        from mlsvs.output.markdown import markdown_text

        return markdown_text(report)
    if fmt == "gitlab-sast":
        from mlsvs.output.gitlab import sast_text

        return sast_text(report)
    raise UsageError(f"unknown output format {fmt!r}")


def write_report(
    specs: Iterable[OutputSpec],
    report: Callable[[], FindingsReport],
    *,
    native: Mapping[str, Callable[[], str]] | None = None,
    stdout: TextIO | None = None,
) -> tuple[str, ...]:
    """Write each spec; returns the files written.

    ``native`` renders a command's own formats (``text``, ``json``) by name; every other
    format comes from ``report()`` (built once, on first use). Files are written to a
    temporary name and renamed, so a reader never sees half a report.
    """
    from mlsvs.util.atomic import atomic_open

    built: list[FindingsReport] = []

    def text_of(fmt: str) -> str:
        if native and fmt in native:
            return native[fmt]()
        if not built:
            built.append(report())
        return render_report(built[0], fmt)

    written: list[str] = []
    for spec in specs:
        text = text_of(spec.format)
        if spec.to_stdout:
            out = stdout if stdout is not None else sys.stdout
            out.write(text)
            out.flush()
            continue
        try:
            with atomic_open(Path(spec.path)) as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(
                f"cannot write {spec.format} output: {exc.strerror}", path=spec.path
            ) from exc
        written.append(spec.path)
    return tuple(written)
