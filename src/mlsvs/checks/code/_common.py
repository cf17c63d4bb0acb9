"""Turning code-rule findings into check outcomes (shared by MLC301-MLC304)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.codescan import CodeRule, parse_rule, scan_file
from mlsvs.plugin import Gap, GapReason, OptionError, failed, not_verified, passed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.codescan import CodeFinding
    from mlsvs.plugin import CheckContext, Outcome, SourceFile


def _disabled(ctx: CheckContext) -> frozenset[CodeRule]:
    empty: list[object] = []
    names = ctx.option("disabled_rules", empty)
    rules: set[CodeRule] = set()
    for name in names:
        if not isinstance(name, str):
            raise OptionError("option 'disabled_rules' must be a list of rule IDs")
        try:
            rules.add(parse_rule(name))
        except ValueError as exc:
            raise OptionError(str(exc)) from None
    return frozenset(rules)


def error_gap(item: str, error: str) -> Gap:
    """A per-file read or parse error as a coverage gap (the run goes on; the file is named)."""
    if "exceeds the" in error:
        reason = GapReason.TOO_LARGE
    elif "not a regular file" in error:
        reason = GapReason.NOT_REGULAR
    elif "cannot read" in error:
        reason = GapReason.UNREADABLE
    else:
        reason = GapReason.UNPARSEABLE
    prefix = f"{item}: "
    detail = error[len(prefix) :] if error.startswith(prefix) else error
    return Gap(item=item, reason=reason, detail=detail[:300])


def _relevant(finding: CodeFinding, rules: frozenset[CodeRule], fallback: bool) -> bool:
    if finding.rule in rules:
        return True
    if finding.about is not None:
        return finding.about in rules
    return fallback and finding.rule in {CodeRule.MLCODE090, CodeRule.MLCODE091}


def code_outcomes(
    ctx: CheckContext, source: SourceFile, rules: frozenset[CodeRule], *, fallback: bool = False
) -> Iterator[Outcome]:
    """Scan ``source`` and yield one failure per hit of ``rules`` (and their suppressions).

    Read and parse errors (too large, unreadable, a cell that is not Python) are coverage
    gaps naming the file: the rest of the file is still checked, but it cannot pass. A file
    with neither hits nor gaps passes. ``fallback`` routes suppressions naming unknown rules
    to this check.
    """
    version = ctx.option("torch_version", "").strip() or None
    enabled = rules - _disabled(ctx)
    result = scan_file(source.absolute, display=source.path, torch_version=version)
    gaps = tuple(error_gap(source.path, error) for error in result.errors)
    if result.skipped:  # a notebook in another kernel language: the Python rules cannot see it
        gaps += (Gap(item=source.path, reason=GapReason.UNSUPPORTED, detail=result.skipped),)
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
    if hits:
        return
    names = ", ".join(sorted(r.value for r in enabled))
    note = f"; {result.suppressed} suppressed with a reason" if result.suppressed else ""
    if gaps:
        yield not_verified(f"not fully analysed; no hits of {names} in what was read{note}", gaps)
    else:
        yield passed(f"no hits of {names}{note}")
