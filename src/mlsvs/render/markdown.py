"""Markdown summary for a pull-request comment or a CI step summary (GitHub-flavoured).

Compact: banner, one table of verdict counts per chapter, what blocks the next level, and the
failed findings, problems and skipped checks in collapsible ``<details>`` blocks. Text from
scanned files is escaped so it cannot break a table cell, open HTML or inject links.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from mlsvs.model.assessment import CheckState
from mlsvs.model.result import Status
from mlsvs.render import advice
from mlsvs.render.text import (
    VERDICT_LABELS,
    VERDICT_ORDER,
    blocking_next,
    chapter_counts,
    clean,
    first_reason,
    format_value,
    level_summary,
    level_text,
    next_level,
    parameter_summary,
    problem_findings,
    profile_notes,
    verdict_totals,
)

if TYPE_CHECKING:
    from typing import TextIO

    from mlsvs.model.assessment import Assessment

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
MAX_ROWS = 50
"""Longer lists are cut (a PR comment has a size limit); the HTML report has everything."""


def md(text: str) -> str:
    """Escape one line of untrusted text for Markdown (table cells and inline HTML blocks)."""
    text = clean(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def code(text: str) -> str:
    """An inline code span that no backtick in ``text`` can close."""
    text = clean(text).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class MarkdownRenderer:
    """Registered as ``markdown`` in the ``mlsvs.renderers`` entry point group."""

    name: ClassVar[str] = "markdown"
    suffix: ClassVar[str] = ".md"
    binary: ClassVar[bool] = False

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the report; a pure function of ``assessment``."""
        out.write("\n".join(lines(assessment)) + "\n")


def lines(a: Assessment) -> list[str]:
    """The report as Markdown lines."""
    mark = "✅" if a.target_met else "❌"
    met = "met" if a.target_met else "not met"
    out = [
        f"## {mark} {md(a.standard.name)} {md(a.standard.version)}: level "
        f"{level_text(a.achieved_level)} (target {a.target_level}, {met})",
        "",
        f"**Project:** {md(a.project.name)}  ",
        "**Declared traits:** " + (", ".join(code(t) for t in sorted(a.project.traits)) or "none"),
        "",
    ]
    out.extend(f"- {md(note)}" for note in profile_notes(a))
    out.extend(
        f"- {md(level_summary(result))}" for result in sorted(a.levels, key=lambda lr: lr.level)
    )
    out.append("")
    totals = verdict_totals(a)
    out.append(
        "**Requirements:** "
        + ", ".join(f"{totals[v]} {VERDICT_LABELS[v]}" for v in VERDICT_ORDER if totals[v])
    )
    if a.interrupted:
        out += ["", "> **The run was interrupted: results are incomplete.**"]
    out.append("")
    out += [md(parameter_summary(a)), ""]
    out += _chapters(a) + _blocking(a) + _findings(a) + _parameters(a) + _problems(a) + _skipped(a)
    out.append(
        f"<sub>{md(a.tool.name)} {md(a.tool.version)} · standard digest "
        f"{code(a.standard.digest[:12])} · {md(a.finished_at)}</sub>"
    )
    return out


def _chapters(a: Assessment) -> list[str]:
    rows = chapter_counts(a)
    if not rows:
        return []
    head = "| Chapter | " + " | ".join(VERDICT_LABELS[v] for v in VERDICT_ORDER) + " |"
    sep = "|---|" + "---:|" * len(VERDICT_ORDER)
    body = [
        f"| {md(ch)} | " + " | ".join(str(c[v]) if c[v] else "" for v in VERDICT_ORDER) + " |"
        for ch, c in rows
    ]
    return [head, sep, *body, ""]


def _blocking(a: Assessment) -> list[str]:
    level = next_level(a)
    blocking = blocking_next(a)
    if level is None or not blocking:
        return []
    titles = {r.id: r.title for r in a.requirements}
    steps = advice.steps(a)
    out = [
        f"**To reach {level}:** {len(blocking)} requirement(s) to go",
        "",
        "| Requirement | Verdict | Why | Next step |",
        "|---|---|---|---|",
    ]
    for v in blocking[:MAX_ROWS]:
        title = titles.get(v.requirement, "")
        step = steps[v.requirement]
        todo = md(step.text) + (f" {code(step.command)}" if step.command else "")
        name = md(v.requirement) + (f" {md(title)}" if title else "")
        out.append(f"| {name} | {VERDICT_LABELS[v.verdict]} | {md(first_reason(v))} | {todo} |")
    return [*out, *_more(len(blocking)), ""]


def _findings(a: Assessment) -> list[str]:
    found = problem_findings(a)
    if not found:
        return []
    out = [
        f"<details><summary>Failed and errored findings ({len(found)})</summary>",
        "",
        "| Severity | Check | Requirements | Location | Message |",
        "|---|---|---|---|---|",
    ]
    for f in found[:MAX_ROWS]:
        sev = f.severity.value if f.status is Status.FAIL else "error"
        if f.waiver:
            sev += f" (waived {md(f.waiver)})"
        where = md(f.target.path) + (
            f" ({md(f.location.describe())})" if f.location and f.location.describe() else ""
        )
        reqs = ", ".join(md(r) for r in f.requirements)
        out.append(f"| {sev} | {md(f.check)} | {reqs} | {where} | {md(f.message)} |")
    return [*out, *_more(len(found)), "", "</details>", ""]


def _parameters(a: Assessment) -> list[str]:
    if not a.parameters:
        return []
    out = [
        f"<details><summary>Parameters in force ({len(a.parameters)})</summary>",
        "",
        "| Parameter | Value | Unit | Set by | Standard value |",
        "|---|---:|---|---|---:|",
    ]
    out += [
        f"| {code(p.key)} | {md(format_value(p.value))} | {md(p.unit)} | {p.set_by.value} | "
        f"{md(format_value(p.standard_value))} ({p.level}) |"
        for p in a.parameters
    ]
    return [*out, "", "</details>", ""]


def _problems(a: Assessment) -> list[str]:
    if not a.problems:
        return []
    out = [f"<details><summary>Problems ({len(a.problems)})</summary>", ""]
    for p in sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message)):
        where = f"{code(p.path)}: " if p.path else ""
        out.append(f"- **{p.kind.value}** {where}{md(p.message)}")
    return [*out, "", "</details>", ""]


def _skipped(a: Assessment) -> list[str]:
    skipped = sorted((c for c in a.checks if c.state is CheckState.SKIPPED), key=lambda c: c.id)
    if not skipped:
        return []
    out = [f"<details><summary>Skipped checks ({len(skipped)})</summary>", ""]
    out += [
        f"- {md(c.id)} {md(c.title)}: {md(c.skip_reason or 'no reason given')}" for c in skipped
    ]
    return [*out, "", "</details>", ""]


def _more(total: int) -> list[str]:
    return ["", f"…and {total - MAX_ROWS} more (see the HTML report)."] if total > MAX_ROWS else []
