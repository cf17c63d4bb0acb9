"""joblib < 0.10 arrays in sibling files, judged together with the pickle that names them.

``NDArrayWrapper.read`` runs ``numpy.load(os.path.join(dirname, filename), allow_pickle=True)``
on a file next to the pickle, so ``joblib.load(model.pkl)`` is as safe as ``model.pkl`` and
every sibling it names. The scan of the pickle alone leaves one PKL010 gap per name; here each
is replaced by what the scan of that sibling found: nothing (the gap goes: the file is verified
with it), its findings (reported with the sibling's name as their member), or the gap itself,
kept when the sibling cannot be read (missing, not a regular file) or too many are named.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mlsvs.scanner.context import child
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mlsvs.scanner.report import ScanFinding, ScanReport

MAX_SIBLINGS = 4096
"""Distinct sibling files read for one pickle (joblib 0.9 wrote one per array: a forest of a
few hundred trees names ~1,000)."""


def names_siblings(report: ScanReport) -> bool:
    """The top-level pickle names sibling array files (PKL010 outside any member)."""
    return any(_sibling_name(f) is not None for f in report.findings)


def judge_siblings(
    report: ScanReport, directory: Path, scan: Callable[[Path], ScanReport]
) -> ScanReport:
    """``report`` with each sibling's PKL010 gap replaced by ``scan(directory / name)``'s
    findings (``scan`` must not resolve siblings again: a sibling pickle naming this one
    would otherwise loop)."""
    judged: dict[str, ScanReport] = {}
    findings: list[ScanFinding] = []
    for f in report.findings:
        name = _sibling_name(f)
        if name is None:
            findings.append(f)
            continue
        if name not in judged:
            if len(judged) >= MAX_SIBLINGS:
                findings.append(f)
                continue
            judged[name] = scan(directory / name)
        sibling = judged[name]
        if sibling.errors:
            why = f"; it cannot be read: {sibling.errors[0]}"
            findings.append(replace(f, message=f.message + why))
    for name, sibling in judged.items():
        if not sibling.errors:  # an unreadable one is the kept gap, which says why
            findings.extend(_under(name, g) for g in sibling.findings)
    return replace(report, findings=tuple(findings))


def _sibling_name(f: ScanFinding) -> str | None:
    if f.rule is not ScanRule.PKL010 or f.location.member is not None:
        return None
    return dict(f.facts).get("file")


def _under(name: str, f: ScanFinding) -> ScanFinding:
    member = name if f.location.member is None else child(name, f.location.member)
    return replace(f, location=replace(f.location, member=member))
