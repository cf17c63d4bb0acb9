"""Markdown from a findings report (a CI job summary, a merge-request comment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.output.report import FindingKind
from mlsvs.util.text import one_line

if TYPE_CHECKING:
    from mlsvs.output.report import FindingsReport

_ORDER = {FindingKind.ERROR: 0, FindingKind.FAIL: 1, FindingKind.NOT_VERIFIED: 2}
_LABEL = {
    FindingKind.ERROR: "could not decide",
    FindingKind.FAIL: "finding",
    FindingKind.NOT_VERIFIED: "not verified",
}


def cell(text: str, limit: int = 300) -> str:
    """Table-cell text: one line, pipes and backticks defused, HTML brackets escaped."""
    flat = one_line(text, limit)
    return (
        flat.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("`", "'")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def markdown_text(report: FindingsReport) -> str:
    """A heading, a one-line summary, and a table of findings linked to their rule's docs."""
    active = [f for f in report.findings if not f.suppressed_by]
    counts = {k: sum(1 for f in active if f.kind is k) for k in FindingKind}
    accepted = len(report.findings) - len(active)
    lines = [
        f"## mlsvs {report.command}",
        "",
        f"{len(report.targets)} target(s): {counts[FindingKind.FAIL]} finding(s), "
        f"{counts[FindingKind.NOT_VERIFIED]} not verified, "
        f"{counts[FindingKind.ERROR]} could not decide"
        + (f", {accepted} accepted" if accepted else "")
        + ".",
        "",
    ]
    if report.findings:
        lines += ["| Status | Severity | Rule | Where | Message |", "|---|---|---|---|---|"]
        ordered = sorted(
            report.findings,
            key=lambda f: (_ORDER[f.kind], -f.severity.rank, f.location.path, f.rule),
        )
        for f in ordered:
            rule = report.rule(f.rule)
            label = cell(f.rule, 60)
            if rule is not None and rule.help_uri:
                label = f"[{label}]({rule.help_uri})"
            status = _LABEL[f.kind] + (" (accepted)" if f.suppressed_by else "")
            lines.append(
                f"| {status} | {f.severity.value} | {label} | `{cell(f.location.display(), 200)}` "
                f"| {cell(f.message)} |"
            )
        lines.append("")
    if report.notes:
        lines += ["### Notes", ""]
        lines += [
            f"- {('`' + cell(n.path, 200) + '`: ') if n.path else ''}{cell(n.message)}"
            for n in report.notes
        ]
        lines.append("")
    return "\n".join(lines)
