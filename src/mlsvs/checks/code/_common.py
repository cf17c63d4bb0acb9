"""Turning code-rule findings into check outcomes (shared by MLC301-MLC304)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.codescan import Rule, parse_rule, scan_file
from mlsvs.plugin import OptionError, errored, failed, not_applicable, passed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.codescan import CodeFinding
    from mlsvs.plugin import CheckContext, Outcome, SourceFile


def _disabled(ctx: CheckContext) -> frozenset[Rule]:
    empty: list[object] = []
    names = ctx.option("disabled_rules", empty)
    rules: set[Rule] = set()
    for name in names:
        if not isinstance(name, str):
            raise OptionError("option 'disabled_rules' must be a list of rule IDs")
        try:
            rules.add(parse_rule(name))
        except ValueError as exc:
            raise OptionError(str(exc)) from None
    return frozenset(rules)


def _relevant(finding: CodeFinding, rules: frozenset[Rule], fallback: bool) -> bool:
    if finding.rule in rules:
        return True
    if finding.about is not None:
        return finding.about in rules
    return fallback and finding.rule in {Rule.MLCODE090, Rule.MLCODE091}


def code_outcomes(
    ctx: CheckContext, source: SourceFile, rules: frozenset[Rule], *, fallback: bool = False
) -> Iterator[Outcome]:
    """Scan ``source`` and yield one failure per hit of ``rules`` (and their suppressions).

    Parse errors are errored outcomes naming the file; a file with neither hits nor errors
    passes. ``fallback`` routes suppressions naming unknown rules to this check.
    """
    version = ctx.option("torch_version", "").strip() or None
    enabled = rules - _disabled(ctx)
    result = scan_file(source.absolute, display=source.path, torch_version=version)
    if result.skipped:
        yield not_applicable(f"not analysed: {result.skipped}", key="skipped")
        return
    for error in result.errors:
        yield errored(f"cannot analyse: {error}")
    hits = [f for f in result.findings if _relevant(f, enabled, fallback)]
    for hit in hits:
        yield failed(
            f"{hit.rule}: {hit.message} ({hit.where})",
            location=hit.location,
            severity=hit.severity,
            rule=hit.rule.value,
            key=f"{hit.rule}:{hit.cell or 0}:{hit.line}:{hit.column}",
            facts=(("rule", hit.rule.value), ("title", hit.rule.info.title)),
        )
    if not hits and not result.errors:
        names = ", ".join(sorted(r.value for r in enabled))
        note = f"; {result.suppressed} suppressed with a reason" if result.suppressed else ""
        yield passed(f"no hits of {names}{note}")
