"""One findings-output layer for every command: a findings report and its formats.

A command turns its own results into a :class:`FindingsReport` (rules, findings, notes) and
hands it, with the parsed ``-f FORMAT[:PATH]`` options, to :func:`write_report`. The formats
(SARIF 2.1.0, JUnit, Markdown, GitLab SAST / dependency scanning, JSON) are pure functions of
the report, so every command gets the same locations, fingerprints, help links and exit
semantics. Only the human text format and a command's native JSON stay with the command.

Stdlib only; sits below the middle layer so scanner, codescan, supply ... may build reports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.output.report import (
        FindingKind,
        FindingsReport,
        Note,
        ReportFinding,
        ReportLocation,
        ReportRule,
        fingerprint,
    )
    from mlsvs.output.spec import OutputSpec, parse_output_specs
    from mlsvs.output.write import FINDINGS_FORMATS, write_report

# Resolved on first access (PEP 562): importing a submodule such as ``mlsvs.output.spec`` runs
# this package first, and a command that prints text only (``mlsvs scan``) should not build
# the findings-report dataclasses just for that.
_WHERE = {
    "FINDINGS_FORMATS": "write",
    "FindingKind": "report",
    "FindingsReport": "report",
    "Note": "report",
    "OutputSpec": "spec",
    "ReportFinding": "report",
    "ReportLocation": "report",
    "ReportRule": "report",
    "fingerprint": "report",
    "parse_output_specs": "spec",
    "write_report": "write",
}

__all__ = [
    "FINDINGS_FORMATS",
    "FindingKind",
    "FindingsReport",
    "Note",
    "OutputSpec",
    "ReportFinding",
    "ReportLocation",
    "ReportRule",
    "fingerprint",
    "parse_output_specs",
    "write_report",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
