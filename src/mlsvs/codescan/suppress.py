"""Inline suppressions: ``# mlsvs: ignore[MLCODE001] reason: <why>`` (reason mandatory)."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, replace

from mlsvs.codescan.findings import CodeFinding
from mlsvs.codescan.rules import META_RULES, CodeRule

_SUPPRESS = re.compile(r"#\s*mlsvs:\s*ignore\[(?P<rules>[^\]]*)\](?P<rest>.*)$", re.IGNORECASE)
_QUICK = re.compile(r"mlsvs:\s*ignore", re.IGNORECASE)
_REASON = re.compile(r"^\s*(?:[-:—]\s*)?reason\s*:\s*(?P<reason>[^#]*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    """One suppression comment."""

    line: int
    column: int
    rules: tuple[str, ...]
    reason: str


def parse_suppressions(source: str) -> tuple[Suppression, ...]:
    """Every suppression comment of a module (real comments only, never string contents)."""
    if not _QUICK.search(source):
        return ()
    found: list[Suppression] = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _SUPPRESS.search(token.string)
        if not match:
            continue
        rules = tuple(r.strip().upper() for r in match["rules"].split(",") if r.strip())
        reason_match = _REASON.match(match["rest"])
        reason = reason_match["reason"].strip() if reason_match else ""
        found.append(
            Suppression(
                line=token.start[0],
                column=token.start[1] + 1 + match.start(),
                rules=rules,
                reason=reason if re.search(r"\w", reason) else "",
            )
        )
    return tuple(found)


def _meta(rule: CodeRule, sup: Suppression, message: str, about: CodeRule | None) -> CodeFinding:
    return CodeFinding(
        rule=rule,
        severity=rule.info.severity,
        message=message,
        line=sup.line,
        column=sup.column,
        end_line=sup.line,
        about=about,
    )


def apply_suppressions(
    findings: list[CodeFinding], suppressions: tuple[Suppression, ...]
) -> tuple[list[CodeFinding], int]:
    """Drop findings covered by a reasoned suppression; report reasonless and unused ones."""
    kept: list[CodeFinding] = []
    used: set[tuple[int, str]] = set()
    by_line = {s.line: s for s in suppressions}
    suppressed = 0
    for finding in findings:
        covering = [
            s
            for line in range(finding.line, max(finding.end_line, finding.line) + 1)
            if (s := by_line.get(line)) is not None and finding.rule.value in s.rules
        ]
        reasoned = [s for s in covering if s.reason]
        for sup in covering:
            used.add((sup.line, finding.rule.value))
        if reasoned:
            suppressed += 1
        else:
            kept.append(finding)
    for sup in suppressions:
        known = [
            r for r in sup.rules if r in CodeRule.__members__ and CodeRule(r) not in META_RULES
        ]
        if not sup.reason:
            about = CodeRule(known[0]) if known else None
            kept.append(
                _meta(CodeRule.MLCODE090, sup, "suppression without a reason is ignored", about)
            )
        for name in sup.rules:
            if name not in known:
                kept.append(
                    _meta(CodeRule.MLCODE091, sup, f"suppression names unknown rule {name!r}", None)
                )
            elif (sup.line, name) not in used:
                kept.append(
                    _meta(CodeRule.MLCODE091, sup, f"unused suppression of {name}", CodeRule(name))
                )
    return kept, suppressed


def in_cell(findings: list[CodeFinding], cell: int) -> list[CodeFinding]:
    """Stamp findings with their notebook cell number."""
    return [replace(f, cell=cell) for f in findings]
