"""Helpers every renderer uses: safe text and the summaries derived from an ``Assessment``.

All text in an ``Assessment`` may come from scanned files, so it is hostile: it can carry
ANSI/OSC escape sequences, bidi overrides, newlines and markup. Each output format escapes it
in its own way; the functions here do the format-independent part.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from mlsvs.model.catalog import Level, id_sort_key
from mlsvs.model.result import Status
from mlsvs.model.verdict import Verdict

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment
    from mlsvs.model.result import Finding
    from mlsvs.model.verdict import LevelResult, RequirementVerdict

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other 2-byte ones.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, terminated by BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"  # other Fe sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
)
# C0 (but tab/newline), DEL, C1, bidi overrides and isolates (Trojan Source), BOM.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_WHITESPACE = re.compile(r"[\t\n]+")

VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.FAIL,
    Verdict.ERROR,
    Verdict.NOT_VERIFIED,
    Verdict.WAIVED,
    Verdict.PASS,
    Verdict.NOT_APPLICABLE,
)
"""Worst first: the order of columns and groups in every report."""

VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "fail",
    Verdict.WAIVED: "waived",
    Verdict.ERROR: "error",
    Verdict.NOT_APPLICABLE: "n/a",
    Verdict.NOT_VERIFIED: "not verified",
}


def level_summary(result: LevelResult) -> str:
    """``L1 not met: 12 of 39 applicable requirements pass; 14 not applicable`` (n/a apart)."""
    met = "met" if result.met else "not met"
    return (
        f"{result.level} {met}: {result.satisfied} of {result.applicable} applicable "
        f"requirements pass; {result.not_applicable} not applicable"
    )


def profile_notes(a: Assessment) -> list[str]:
    """Denied traits with their reasons, and evidence of traits neither declared nor denied."""
    notes = [f"denied {trait}: {reason}" for trait, reason in a.project.denied_traits]
    declared = set(a.project.traits) | {t for t, _ in a.project.denied_traits}
    seen: dict[str, list[str]] = {}
    for trait, path, detail in a.project.trait_evidence:
        if trait not in declared:
            seen.setdefault(trait, []).append(f"{path}: {detail}")
    for trait, where in sorted(seen.items()):
        more = f" and {len(where) - 2} more" if len(where) > 2 else ""
        notes.append(
            f"evidence of undeclared {trait}: {'; '.join(where[:2])}{more} "
            "(declare it in traits or deny it under [denied_traits])"
        )
    return notes


def clean(text: str, *, multiline: bool = False) -> str:
    """Strip escape sequences and control characters; fold newlines unless ``multiline``."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    if multiline:
        return text.replace("\t", " ")
    return _WHITESPACE.sub(" ", text).strip()


def chapter_of(requirement_id: str) -> str:
    """``M4.1.2`` -> ``M4``; anything unparseable is its own chapter."""
    head = requirement_id.split(".", 1)[0]
    return head or requirement_id


def sorted_verdicts(assessment: Assessment) -> list[RequirementVerdict]:
    """Verdicts in numeric requirement order."""
    return sorted(assessment.verdicts, key=lambda v: (id_sort_key(v.requirement), v.requirement))


def chapter_counts(assessment: Assessment) -> list[tuple[str, Counter[Verdict]]]:
    """Per chapter (numeric order), how many requirements got each verdict."""
    counts: dict[str, Counter[Verdict]] = {}
    for v in assessment.verdicts:
        counts.setdefault(chapter_of(v.requirement), Counter())[v.verdict] += 1
    return sorted(counts.items(), key=lambda item: (id_sort_key(item[0]), item[0]))


def verdict_totals(assessment: Assessment) -> Counter[Verdict]:
    """How many requirements got each verdict."""
    return Counter(v.verdict for v in assessment.verdicts)


def next_level(assessment: Assessment) -> Level | None:
    """The level above the achieved one (``L1`` when none is achieved; ``None`` above L3)."""
    if assessment.achieved_level is None:
        return Level.L1
    if assessment.achieved_level == Level.L3:
        return None
    return Level(assessment.achieved_level + 1)


def blocking_next(assessment: Assessment) -> list[RequirementVerdict]:
    """The verdicts that keep the system from the next level, in requirement order."""
    level = next_level(assessment)
    if level is None:
        return []
    blocking: set[str] = set()
    for result in assessment.levels:
        if result.level == level:
            blocking.update(result.blocking)
    return [v for v in sorted_verdicts(assessment) if v.requirement in blocking]


def first_reason(verdict: RequirementVerdict) -> str:
    """One line explaining a verdict."""
    return clean(verdict.reasons[0]) if verdict.reasons else str(verdict.verdict)


def problem_findings(assessment: Assessment) -> list[Finding]:
    """FAIL and ERROR findings (waived ones included), sorted by requirement, path, check."""
    selected = [f for f in assessment.findings if f.status in {Status.FAIL, Status.ERROR}]
    return sorted(selected, key=finding_sort_key)


def findings_by_requirement(assessment: Assessment) -> list[tuple[str, list[Finding]]]:
    """FAIL/ERROR findings under each requirement they map to, in requirement order."""
    groups: dict[str, list[Finding]] = {}
    for finding in problem_findings(assessment):
        for requirement in finding.requirements or ("-",):
            groups.setdefault(requirement, []).append(finding)
    return sorted(groups.items(), key=lambda item: (id_sort_key(item[0]), item[0]))


def finding_sort_key(finding: Finding) -> tuple[object, ...]:
    """Stable order: first requirement, target path, check, line, fingerprint."""
    first = finding.requirements[0] if finding.requirements else ""
    line = finding.location.line if finding.location and finding.location.line else 0
    return (id_sort_key(first), first, finding.target.path, finding.check, line, finding.id)


def location_text(finding: Finding) -> str:
    """``path`` or ``path (line 3)``, cleaned."""
    where = finding.location.describe() if finding.location else ""
    path = clean(finding.target.path)
    return f"{path} ({clean(where)})" if where else path


def level_text(level: Level | None) -> str:
    """``L2`` or ``none``."""
    return "none" if level is None else str(level)
