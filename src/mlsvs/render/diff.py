"""Compare two assessments: regressions, improvements, level change, new failing findings.

``diff_assessments`` is pure; ``render_diff`` writes it as text, JSON or Markdown. A verdict
*regresses* when it moves to a worse rank (pass/n-a < waived < not verified = error < fail),
e.g. pass -> waived or not verified -> fail. It *improves* when it moves to a better rank and
ends satisfied or waived; other moves (fail -> error, error <-> not verified) are *changed*.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.errors import UsageError
from mlsvs.model.catalog import Level, id_sort_key
from mlsvs.model.result import Finding, Status
from mlsvs.model.verdict import Verdict
from mlsvs.render.text import VERDICT_LABELS, clean, finding_sort_key, level_text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from mlsvs.model.assessment import Assessment
    from mlsvs.model.verdict import RequirementVerdict

DIFF_FORMATS = ("text", "json", "markdown")
_RANK = {
    Verdict.PASS: 0,
    Verdict.NOT_APPLICABLE: 0,
    Verdict.WAIVED: 1,
    Verdict.NOT_VERIFIED: 2,
    Verdict.ERROR: 2,
    Verdict.FAIL: 3,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictChange:
    """One requirement whose verdict differs (``None`` = absent on that side)."""

    requirement: str
    level: Level
    old: Verdict | None
    new: Verdict | None
    reason: str = ""
    """First reason of the new verdict (of the old one for removed requirements)."""
    mapped_from: tuple[str, ...] = ()
    """Old requirement IDs compared with this one when the standard version changed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentDiff:
    """What changed between two runs."""

    old_level: Level | None
    new_level: Level | None
    target_level: Level
    regressed: tuple[VerdictChange, ...] = ()
    improved: tuple[VerdictChange, ...] = ()
    changed: tuple[VerdictChange, ...] = ()
    added: tuple[VerdictChange, ...] = ()
    removed: tuple[VerdictChange, ...] = ()
    new_failures: tuple[Finding, ...] = ()
    """FAIL/ERROR findings, not waived, whose fingerprint was not such a finding before."""
    fixed_failures: tuple[Finding, ...] = ()
    standard_changed: bool = False
    crosswalk: str = ""
    """``1.0.0 -> 1.1.0`` when old verdicts were mapped onto new IDs through the crosswalk."""

    @property
    def level_dropped(self) -> bool:
        """Whether the achieved level went down (``None`` counts below L1)."""
        return _level_rank(self.new_level) < _level_rank(self.old_level)

    @property
    def has_regressions(self) -> bool:
        """A regressed verdict, a new failing finding or a lower level."""
        return bool(self.regressed or self.new_failures or self.level_dropped)

    def level_sentence(self) -> str:
        """``this change drops the system from L2 to L1`` and the like."""
        old, new = level_text(self.old_level), level_text(self.new_level)
        if self.level_dropped:
            return f"this change drops the system from {old} to {new}"
        if _level_rank(self.new_level) > _level_rank(self.old_level):
            return f"this change raises the system from {old} to {new}"
        return f"the achieved level stays {new}"


def _level_rank(level: Level | None) -> int:
    return 0 if level is None else int(level)


def _failing(f: Finding) -> bool:
    return f.status in {Status.FAIL, Status.ERROR} and f.waiver is None


def _translate(
    verdicts: Mapping[str, RequirementVerdict], id_map: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, RequirementVerdict], dict[str, tuple[str, ...]]]:
    """Old verdicts keyed by the new IDs that carry their obligations (the worst one wins)."""
    moved: dict[str, RequirementVerdict] = {}
    sources: dict[str, list[str]] = defaultdict(list)
    for rid, verdict in verdicts.items():
        targets = id_map.get(rid, (rid,)) or (rid,)  # withdrawn without successor: stays removed
        for target in targets:
            current = moved.get(target)
            if current is None or _RANK[verdict.verdict] > _RANK[current.verdict]:
                moved[target] = verdict
            sources[target].append(rid)
    return moved, {k: tuple(v) for k, v in sources.items()}


def diff_assessments(
    old: Assessment,
    new: Assessment,
    *,
    id_map: Mapping[str, tuple[str, ...]] | None = None,
) -> AssessmentDiff:
    """Compare ``old`` with ``new`` (pure).

    ``id_map`` (old ID -> new IDs, from ``mlsvs.catalog.crosswalk``) is given when the two runs
    used different versions of the standard: each new requirement is then compared with the
    old requirement(s) whose obligations it carries, instead of showing as added/removed.
    """
    before = {v.requirement: v for v in old.verdicts}
    sources: dict[str, tuple[str, ...]] = {}
    if id_map:
        before, sources = _translate(before, id_map)
    after = {v.requirement: v for v in new.verdicts}
    buckets: dict[str, list[VerdictChange]] = {k: [] for k in ("reg", "imp", "chg", "add", "rem")}
    for rid in sorted(before.keys() | after.keys(), key=lambda r: (id_sort_key(r), r)):
        o, n = before.get(rid), after.get(rid)
        shown = n if n is not None else o
        assert shown is not None  # noqa: S101 - rid comes from one of the two maps
        change = VerdictChange(
            requirement=rid,
            level=shown.level,
            old=o.verdict if o else None,
            new=n.verdict if n else None,
            reason=clean(shown.reasons[0]) if shown.reasons else "",
            mapped_from=sources.get(rid, ()) if sources.get(rid, (rid,)) != (rid,) else (),
        )
        if o is None:
            buckets["add"].append(change)
        elif n is None:
            buckets["rem"].append(change)
        elif o.verdict != n.verdict:
            r_old, r_new = _RANK[o.verdict], _RANK[n.verdict]
            key = "reg" if r_new > r_old else ("imp" if r_new < r_old and r_new <= 1 else "chg")
            buckets[key].append(change)
    failing_before = {f.id for f in old.findings if _failing(f)}
    failing_after = {f.id for f in new.findings if _failing(f)}
    return AssessmentDiff(
        old_level=old.achieved_level,
        new_level=new.achieved_level,
        target_level=new.target_level,
        regressed=tuple(buckets["reg"]),
        improved=tuple(buckets["imp"]),
        changed=tuple(buckets["chg"]),
        added=tuple(buckets["add"]),
        removed=tuple(buckets["rem"]),
        new_failures=tuple(
            sorted(
                (f for f in new.findings if f.id in failing_after - failing_before),
                key=finding_sort_key,
            )
        ),
        fixed_failures=tuple(
            sorted(
                (f for f in old.findings if f.id in failing_before - failing_after),
                key=finding_sort_key,
            )
        ),
        standard_changed=(old.standard.version, old.standard.digest)
        != (new.standard.version, new.standard.digest),
        crosswalk=f"{old.standard.version} -> {new.standard.version}" if id_map else "",
    )


def _label(verdict: Verdict | None) -> str:
    return "absent" if verdict is None else VERDICT_LABELS[verdict]


def diff_to_dict(d: AssessmentDiff) -> dict[str, Any]:
    """The diff as JSON-compatible data."""

    def changes(items: tuple[VerdictChange, ...]) -> list[dict[str, Any]]:
        return [
            {
                "requirement": c.requirement,
                "level": str(c.level),
                "old": c.old.value if c.old else None,
                "new": c.new.value if c.new else None,
                "reason": c.reason,
                "mapped_from": list(c.mapped_from),
            }
            for c in items
        ]

    def findings(items: tuple[Finding, ...]) -> list[dict[str, Any]]:
        return [
            {
                "id": f.id,
                "check": clean(f.check),
                "status": f.status.value,
                "severity": f.severity.value,
                "requirements": list(f.requirements),
                "path": clean(f.target.path),
                "message": clean(f.message),
            }
            for f in items
        ]

    return {
        "regressed": d.has_regressions,
        "level": {
            "old": level_text(d.old_level),
            "new": level_text(d.new_level),
            "target": str(d.target_level),
            "dropped": d.level_dropped,
            "summary": d.level_sentence(),
        },
        "standard_changed": d.standard_changed,
        "crosswalk": d.crosswalk,
        "regressions": changes(d.regressed),
        "improvements": changes(d.improved),
        "changes": changes(d.changed),
        "added": changes(d.added),
        "removed": changes(d.removed),
        "new_failing_findings": findings(d.new_failures),
        "fixed_findings": findings(d.fixed_failures),
    }


def _md(text: str) -> str:
    from mlsvs.render.markdown import md

    return md(text)


def diff_lines(d: AssessmentDiff, *, markdown: bool = False) -> list[str]:
    """The diff as text (or Markdown) lines."""
    esc = _md if markdown else clean
    head = "## " if markdown else ""
    bullet = "- " if markdown else "  "
    verdict = "REGRESSED" if d.has_regressions else "no regressions"
    out = [f"{head}mlsvs diff: {verdict}; {d.level_sentence()} (target {d.target_level})"]
    if d.crosswalk:
        out.append(
            f"Note: the runs used different versions of the standard ({d.crosswalk}); old "
            "verdicts are compared through the crosswalk (mlsvs catalog crosswalk)."
        )
    elif d.standard_changed:
        out.append("Note: the two runs used different versions of the standard.")
    sections = (
        ("Regressed", d.regressed),
        ("Improved", d.improved),
        ("Changed", d.changed),
        ("New requirements", d.added),
        ("Removed requirements", d.removed),
    )
    for title, items in sections:
        if not items:
            continue
        out += ["", f"{'### ' if markdown else ''}{title} ({len(items)})"]
        for c in items:
            why = f": {esc(c.reason)}" if c.reason else ""
            src = f" [from {', '.join(esc(r) for r in c.mapped_from)}]" if c.mapped_from else ""
            out.append(
                f"{bullet}{esc(c.requirement)}{src} ({c.level}) {_label(c.old)} -> "
                f"{_label(c.new)}{why}"
            )
    for title, found in (
        ("New failing findings", d.new_failures),
        ("Fixed findings", d.fixed_failures),
    ):
        if not found:
            continue
        out += ["", f"{'### ' if markdown else ''}{title} ({len(found)})"]
        for f in found:
            reqs = ", ".join(esc(r) for r in f.requirements)
            out.append(
                f"{bullet}{esc(f.check)} {f.status.value} {f.severity.value} [{reqs}] "
                f"{esc(f.target.path)}: {esc(f.message)} (fingerprint {f.id[:16]})"
            )
    return out


def render_diff(d: AssessmentDiff, fmt: str, out: TextIO) -> None:
    """Write the diff as ``text``, ``json`` or ``markdown``."""
    if fmt == "json":
        out.write(json.dumps(diff_to_dict(d), indent=2, ensure_ascii=False) + "\n")
    elif fmt in {"text", "markdown"}:
        out.write("\n".join(diff_lines(d, markdown=fmt == "markdown")) + "\n")
    else:
        raise UsageError(f"unknown diff format {fmt!r} (available: {', '.join(DIFF_FORMATS)})")
