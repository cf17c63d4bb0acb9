"""The procurement annex: what a buyer attaches to a contract for a level and a scope.

``build_annex`` decides the scope (pure); ``annex_markdown``, ``response_template_csv`` and
``mlsvs.catalog.procurement_html.annex_html`` render it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never

from mlsvs.catalog.export_json import effective_tags
from mlsvs.catalog.markdown import cell, inline
from mlsvs.catalog.select import walk
from mlsvs.errors import UsageError
from mlsvs.model.catalog import Chapter, Level, Requirement, Standard, Verification

if TYPE_CHECKING:
    from collections.abc import Iterator


CLAIMS = "pass / fail / not_applicable"
RESPONSE_COLUMNS = (
    "requirement_id",
    "citation",
    "level",
    "title",
    "text",
    "verification_method",
    "evidence_required",
    "supplier_claim",
    "justification",
    "evidence_reference",
    "contact",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnexItem:
    """One requirement in the annex, with the tags that scope it."""

    chapter: Chapter
    requirement: Requirement
    tags: tuple[str, ...]
    missing_tags: tuple[str, ...] = ()
    """For out-of-scope items: the tags the buyer did not declare."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Annex:
    """The scope decision for one procurement: level, declared tags, chapters."""

    standard: Standard
    level: Level
    tags: frozenset[str]
    chapters: frozenset[str]
    in_scope: tuple[AnnexItem, ...]
    out_of_scope: tuple[AnnexItem, ...]


def build_annex(
    standard: Standard,
    level: Level,
    *,
    tags: frozenset[str] = frozenset(),
    chapters: frozenset[str] = frozenset(),
) -> Annex:
    """Requirements with level <= ``level`` in the chosen chapters, split by applicability."""
    for kind, values, known in (
        ("applicability tag", tags, {t.id for t in standard.tags}),
        ("chapter", chapters, {c.id for c in standard.chapters}),
    ):
        unknown = sorted(values - known)
        if unknown:
            raise UsageError(f"unknown {kind} {unknown[0]!r} (known: {', '.join(sorted(known))})")
    in_scope: list[AnnexItem] = []
    out_of_scope: list[AnnexItem] = []
    for chapter, req in walk(standard):
        if req.level > level or (chapters and chapter.id not in chapters):
            continue
        req_tags = effective_tags(req, chapter)
        missing = tuple(t for t in req_tags if t not in tags)
        item = AnnexItem(chapter=chapter, requirement=req, tags=req_tags, missing_tags=missing)
        (out_of_scope if missing else in_scope).append(item)
    return Annex(
        standard=standard,
        level=level,
        tags=tags,
        chapters=chapters,
        in_scope=tuple(in_scope),
        out_of_scope=tuple(out_of_scope),
    )


def evidence_required(req: Requirement) -> str:
    """What the supplier must deliver for ``req``, by verification method."""
    kinds = ", ".join(req.evidence)
    accepted = "`mlsvs verify` results (JSON or CycloneDX) are acceptable"
    match req.verification:
        case Verification.STATIC:
            return f"Automated static-analysis report covering: {kinds}. {accepted}."
        case Verification.RUNTIME:
            return (
                f"Automated test report covering: {kinds}, with the measurements, budgets, "
                f"sample sizes and seeds used. {accepted}."
            )
        case Verification.HYBRID:
            return (
                f"Automated report covering: {kinds} ({accepted}) and a signed supplier "
                "attestation that the result is adequate."
            )
        case Verification.ATTEST:
            return f"Signed supplier attestation backed by: {kinds}."
        case _:
            assert_never(req.verification)


def intro_paragraphs(annex: Annex) -> tuple[str, ...]:
    """How to use the annex (shared by Markdown and HTML)."""
    s = annex.standard
    return (
        f"This annex states the machine-learning security requirements the supplier must meet: "
        f"{s.name} (MLSVS) version {s.version}, level {annex.level}, for the scope below. "
        f"Cite requirements with their version, e.g. "
        f"{annex.in_scope[0].requirement.cite(s.version) if annex.in_scope else 'v1.0.0-M4.1.2'}.",
        "How to use it: attach this annex to the contract or tender. The supplier answers every "
        "in-scope requirement in the supplier response template (`mlsvs procurement -f csv`) "
        f"with a claim ({CLAIMS}), a justification where needed, and a reference to the "
        "evidence delivered. A not_applicable claim needs a written justification that the "
        "buyer accepts; an unjustified not_applicable or a missing answer counts as fail.",
        "Evidence: automated requirements (a-static, a-runtime) are evidenced by a tool report; "
        "the JSON results or the CycloneDX output of `mlsvs verify` are acceptable. Hybrid "
        "requirements need the report and a signed attestation; attest requirements need a "
        "signed attestation backed by the listed documents.",
        f"The level is met when every in-scope requirement with level <= {annex.level} is pass "
        "or an accepted not_applicable.",
    )


def _scope_md(annex: Annex) -> Iterator[str]:
    s = annex.standard
    descriptions = {t.id: t.description for t in s.tags}
    yield "## Scope"
    yield ""
    yield f"- Standard: {s.name} {s.version} (content digest `sha256:{s.digest}`)"
    yield f"- Target level: {annex.level} (requirements with entry level <= {int(annex.level)})"
    chapters = ", ".join(sorted(annex.chapters)) or "all chapters"
    yield f"- Chapters: {chapters}"
    yield f"- Requirements in scope: {len(annex.in_scope)}"
    yield "- Declared applicability tags:" + ("" if annex.tags else " none")
    for tag in sorted(annex.tags):
        yield f"  - `{tag}`: {inline(descriptions[tag])}"
    yield ""
    if annex.out_of_scope:
        yield "Out of scope (their applicability tags were not declared):"
        yield ""
        yield "| ID | Requirement | Level | Tags not declared |"
        yield "|---|---|---|---|"
        for item in annex.out_of_scope:
            r = item.requirement
            yield f"| {r.id} | {cell(r.title)} | {r.level} | {', '.join(item.missing_tags)} |"
        yield ""


def annex_markdown(annex: Annex) -> str:
    """The annex as Markdown."""
    s = annex.standard
    lines = [f"# Procurement annex: MLSVS {s.version}, level {annex.level}", ""]
    for paragraph in intro_paragraphs(annex):
        lines += [paragraph, ""]
    lines += ["## Levels", "", inline(s.level_semantics), ""]
    lines += [f"- **{d.level} {d.name}**: {inline(d.description)}" for d in s.levels]
    lines.append("")
    lines += _scope_md(annex)
    lines += ["## Requirements", ""]
    current = None
    for item in annex.in_scope:
        r = item.requirement
        if item.chapter.id != current:
            current = item.chapter.id
            lines += [f"### {item.chapter.id} {item.chapter.title}", ""]
        lines += [
            f"#### {r.cite(s.version)} {r.title}",
            "",
            inline(r.text),
            "",
            f"- Level: {r.level}; verification: {r.verification.value}",
            f"- Pass criteria: {inline(r.pass_criteria)}",
            f"- Fail condition: {inline(r.fail_condition)}",
            f"- Evidence the supplier delivers: {evidence_required(r)}",
            *_parameter_lines(r, annex.level),
            "",
        ]
    return "\n".join(lines)


def _parameter_lines(req: Requirement, level: Level) -> list[str]:
    """The values the buyer's verification will use at ``level`` (assignable ones marked)."""
    from mlsvs.catalog.markdown import parameter_value

    if not req.parameters:
        return []
    out = [f"- Parameters at {level} (the supplier cannot change them):"]
    for p in req.parameters:
        used = max(level, min(p.values))
        value = parameter_value(p.value_at(used))
        assign = (
            f"; the buyer may assign {p.assignable.describe()} in a verification profile"
            if p.assignable
            else ""
        )
        out.append(f"  - `{p.key}` = {value} {p.unit}{assign}")
    return out


def response_template_csv(annex: Annex) -> str:
    """The supplier response template: one row per in-scope requirement, answers left blank."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESPONSE_COLUMNS)
    for item in annex.in_scope:
        r = item.requirement
        writer.writerow(
            [
                r.id,
                r.cite(annex.standard.version),
                str(r.level),
                r.title,
                inline(r.text),
                r.verification.value,
                evidence_required(r),
                "",
                "",
                "",
                "",
            ]
        )
    return out.getvalue()
