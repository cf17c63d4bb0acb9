"""Terminal report (rich): level banner, chapters, what blocks the next level, findings.

Every piece of text that can come from a scanned file goes through ``text.clean`` (escape
sequences and control characters removed) and is printed as a ``rich.text.Text``, never as
markup. Colour only on a TTY and when ``NO_COLOR`` is unset; otherwise plain text.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from mlsvs.model.assessment import CheckState, SetBy
from mlsvs.model.attestation import Validity
from mlsvs.model.result import Severity, Status
from mlsvs.render.text import (
    VERDICT_LABELS,
    VERDICT_ORDER,
    blocking_next,
    chapter_counts,
    clean,
    findings_by_requirement,
    first_reason,
    format_value,
    level_summary,
    level_text,
    location_text,
    next_level,
    parameter_summary,
    problem_findings,
    profile_notes,
)

if TYPE_CHECKING:
    from typing import TextIO

    from rich.console import Console

    from mlsvs.model.assessment import Assessment

PLAIN_WIDTH = 100
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def use_color(out: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Colour only on a TTY, with ``NO_COLOR`` unset and ``TERM`` not ``dumb``."""
    env = dict(os.environ) if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class TerminalRenderer:
    """Registered as ``terminal``: the human summary printed by ``mlsvs verify``."""

    name: ClassVar[str] = "terminal"
    suffix: ClassVar[str] = ".txt"
    binary: ClassVar[bool] = False

    def __init__(self, *, color: bool | None = None, width: int | None = None) -> None:
        self.color = color
        self.width = width

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Print the report to ``out``."""
        from rich.console import Console

        color = use_color(out) if self.color is None else self.color
        console = Console(
            file=out,
            force_terminal=color,
            no_color=not color,
            color_system="standard" if color else None,
            width=self.width or (None if color else PLAIN_WIDTH),
            markup=False,
            emoji=False,
            highlight=False,
            _environ={},
        )
        _banner(console, assessment)
        _chapters(console, assessment)
        _blocking(console, assessment)
        _findings(console, assessment)
        _skipped(console, assessment)
        _attestations(console, assessment)
        _problems(console, assessment)


def _banner(console: Console, a: Assessment) -> None:
    from rich.text import Text

    met = a.target_met
    status = Text(
        " TARGET MET " if met else " TARGET NOT MET ",
        "bold white on green" if met else "bold white on red",
    )
    console.print(
        Text.assemble(
            (f"{clean(a.standard.name)} {clean(a.standard.version)}", "bold"),
            " - ",
            clean(a.project.name),
        )
    )
    console.print(
        Text.assemble(
            "Level achieved: ",
            (level_text(a.achieved_level), "bold"),
            f"   target: {a.target_level}   ",
            status,
        )
    )
    traits = ", ".join(clean(t) for t in sorted(a.project.traits)) or "(none)"
    console.print(Text(f"Declared traits: {traits}", "dim"))
    for note in profile_notes(a):
        console.print(Text(f"  {clean(note)}", "yellow" if "evidence" in note else "dim"))
    for result in sorted(a.levels, key=lambda lr: lr.level):
        console.print(Text(level_summary(result), "dim"))
    console.print(Text(parameter_summary(a), "dim"))
    for p in a.parameters:
        if p.set_by is SetBy.PROFILE:
            console.print(
                Text(
                    f"  {clean(p.key)} = {format_value(p.value)} {clean(p.unit)} "
                    f"(standard {p.level}: {format_value(p.standard_value)})",
                    "dim",
                )
            )
    if a.interrupted:
        console.print(Text("Run interrupted: results are incomplete.", "bold red"))
    console.print()


def _chapters(console: Console, a: Assessment) -> None:
    from rich import box
    from rich.table import Table

    rows = chapter_counts(a)
    if not rows:
        console.print("No requirements were assessed.")
        return
    table = Table(box=box.SIMPLE, title="Requirements per chapter", title_justify="left")
    table.add_column("Chapter")
    for verdict in VERDICT_ORDER:
        table.add_column(VERDICT_LABELS[verdict], justify="right")
    for chapter, counts in rows:
        table.add_row(
            clean(chapter), *(str(counts[v]) if counts[v] else "-" for v in VERDICT_ORDER)
        )
    console.print(table)


def _blocking(console: Console, a: Assessment) -> None:
    from rich.text import Text

    level = next_level(a)
    blocking = blocking_next(a)
    if level is None or not blocking:
        return
    from mlsvs.render.advice import steps

    titles = {r.id: clean(r.title) for r in a.requirements}
    todo = steps(a)
    console.print(Text(f"To reach {level}, resolve:", "bold"))
    for v in blocking:
        title = titles.get(v.requirement, "")
        console.print(
            Text.assemble(
                "  ",
                (clean(v.requirement), "bold"),
                f" [{VERDICT_LABELS[v.verdict]}] ",
                (f"{title}: " if title else ""),
                first_reason(v),
            )
        )
        step = todo[v.requirement]
        console.print(Text(f"      next: {clean(step.command or step.text)}", "dim"))
    console.print()


def _findings(console: Console, a: Assessment) -> None:
    from rich.text import Text

    selected = problem_findings(a)
    if not selected:
        return
    console.print(Text(f"Failed and errored findings ({len(selected)})", "bold"))
    for requirement, group in findings_by_requirement(a):
        console.print(Text(f"  {clean(requirement)}", "bold"))
        for f in group:
            tag = f.severity.value.upper() if f.status is Status.FAIL else "ERROR"
            style = _SEVERITY_STYLE[f.severity] if f.status is Status.FAIL else "magenta"
            waived = f" (waived: {clean(f.waiver)})" if f.waiver else ""
            console.print(
                Text.assemble(
                    "    ",
                    (f"{tag:<8}", style),
                    f" {clean(f.check)}{('/' + clean(f.rule)) if f.rule else ''} ",
                    location_text(f),
                    waived,
                )
            )
            console.print(Text(f"             {clean(f.message)}"))
    console.print()


def _skipped(console: Console, a: Assessment) -> None:
    from rich.text import Text

    skipped = sorted((c for c in a.checks if c.state is CheckState.SKIPPED), key=lambda c: c.id)
    if not skipped:
        return
    console.print(Text(f"Skipped checks ({len(skipped)})", "bold"))
    for c in skipped:
        reason = clean(c.skip_reason) or "no reason given"
        console.print(Text(f"  {clean(c.id)} {clean(c.title)}: {reason}"))
    console.print()


def _attestations(console: Console, a: Assessment) -> None:
    from rich.text import Text

    invalid = sorted(
        (t for t in a.attestations if t.validity is not Validity.VALID),
        key=lambda t: (t.source, t.requirement),
    )
    if not a.attestations:
        return
    valid = len(a.attestations) - len(invalid)
    console.print(Text(f"Attestations: {valid} valid, {len(invalid)} not counted", "bold"))
    for t in invalid:
        validity = t.validity.value.replace("_", " ")
        console.print(Text(f"  {clean(t.source)} ({clean(t.requirement)}): {validity}"))
    console.print()


def _problems(console: Console, a: Assessment) -> None:
    from rich.text import Text

    if not a.problems:
        return
    console.print(Text(f"Problems ({len(a.problems)})", "bold yellow"))
    for p in sorted(a.problems, key=lambda p: (p.kind.value, p.path, p.message)):
        where = f"{clean(p.path)}: " if p.path else ""
        console.print(Text(f"  [{p.kind.value}] {where}{clean(p.message)}"))
    console.print()
