"""Markdown rendering of the standard: shared by the export and the generated docs pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.catalog.export_json import effective_tags

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.model.catalog import Chapter, Requirement, Standard


def cell(text: str) -> str:
    """Escape text so it stays inside one Markdown table cell."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def inline(text: str) -> str:
    """Collapse whitespace (YAML folded text) into one paragraph line."""
    return " ".join(text.split())


def tags_text(tags: tuple[str, ...] | frozenset[str]) -> str:
    """``personal_data, genai`` or ``always``."""
    return ", ".join(f"`{t}`" for t in sorted(tags)) if tags else "always applies"


def mappings_lines(req: Requirement, names: dict[str, str]) -> Iterator[str]:
    """One bullet per mapped framework, in key order, with each mapping's rationale if any."""
    for key, ids in sorted(req.mappings.items()):
        notes = req.mapping_notes.get(key, {})
        if not notes:
            yield f"  - {names.get(key, key)} (`{key}`): {', '.join(ids)}"
            continue
        yield f"  - {names.get(key, key)} (`{key}`):"
        for foreign in ids:
            why = notes.get(foreign, "")
            yield f"    - {foreign}" + (f": {inline(why)}" if why else "")


def parameter_value(value: object) -> str:
    """``0.0157``, ``1000``, ``linf``."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def parameters_lines(req: Requirement) -> Iterator[str]:
    """A table of the requirement's parameters (value per level, bounds, source)."""
    from mlsvs.model.catalog import Level

    yield "- **Parameters:**"
    yield ""
    yield "  | Parameter | Meaning | Unit | L1 | L2 | L3 | Assignable | Source |"
    yield "  |---|---|---|---:|---:|---:|---|---|"
    for p in req.parameters:
        values = [parameter_value(p.values[lv]) if lv in p.values else "-" for lv in Level]
        bounds = p.assignable.describe() if p.assignable else "fixed"
        yield (
            f"  | `{p.key}` | {cell(p.meaning)} | {cell(p.unit)} | {' | '.join(values)} | "
            f"{cell(bounds)} | {cell(p.source)} |"
        )
    yield ""


def requirement_md(
    req: Requirement, chapter: Chapter, standard: Standard, *, heading: str = "###"
) -> Iterator[str]:
    """The full record of one requirement."""
    names = {f.key: f.name for f in standard.frameworks}
    yield f"{heading} {req.id} {req.title}"
    yield ""
    yield inline(req.text)
    yield ""
    yield f"- **Cite as:** `{req.cite(standard.version)}`"
    yield f"- **Level:** {req.level}"
    yield f"- **Verification:** {req.verification.value}"
    yield f"- **Applicability:** {tags_text(effective_tags(req, chapter))}"
    yield f"- **Pass criteria:** {inline(req.pass_criteria)}"
    yield f"- **Fail condition:** {inline(req.fail_condition)}"
    yield f"- **Evidence:** {', '.join(f'`{e}`' for e in req.evidence)}"
    if req.cwe:
        yield f"- **CWE:** {', '.join(f'CWE-{c}' for c in req.cwe)}"
    if req.level_rationale:
        yield f"- **Level rationale:** {inline(req.level_rationale)}"
    if req.parameters:
        yield from parameters_lines(req)
    if req.mappings:
        yield "- **Mappings:**"
        yield from mappings_lines(req, names)
    history = "; ".join(
        f"{h.version} {h.change.value}" + (f" ({inline(h.note)})" if h.note else "")
        for h in req.history
    )
    yield f"- **History:** {history}"
    yield ""
    yield f"*Why:* {inline(req.guidance.why)}"
    yield ""
    yield f"*How:* {inline(req.guidance.how)}"
    if req.guidance.tools:
        yield ""
        yield f"*Tools:* {', '.join(req.guidance.tools)}"
    yield ""


def chapter_md(chapter: Chapter, standard: Standard, *, top: str = "#") -> Iterator[str]:
    """A chapter: objective, a summary table per section, then every requirement in full."""
    yield f"{top} {chapter.id} {chapter.title}"
    yield ""
    yield f"**Objective.** {inline(chapter.objective)}"
    yield ""
    if chapter.optional or chapter.applicability:
        kind = "Optional chapter" if chapter.optional else "Chapter"
        yield f"{kind}; applies when declared: {tags_text(chapter.applicability)}."
        yield ""
    for section in chapter.sections:
        yield f"{top}# {section.id} {section.title}"
        yield ""
        yield inline(section.objective)
        yield ""
        yield "| ID | Requirement | Level | Method | Applicability |"
        yield "|---|---|---|---|---|"
        for req in section.requirements:
            tags = ", ".join(effective_tags(req, chapter)) or "-"
            yield (
                f"| {req.id} | {cell(req.title)} | {req.level} "
                f"| {req.verification.value} | {cell(tags)} |"
            )
        yield ""
        for req in section.requirements:
            yield from requirement_md(req, chapter, standard, heading=f"{top}##")
        if section.withdrawn:
            yield f"{top}## Withdrawn IDs of {section.id} (never reused)"
            yield ""
            yield "| ID | Title | Withdrawn in | Change | Replaced by | Note |"
            yield "|---|---|---|---|---|---|"
            for t in section.withdrawn:
                yield (
                    f"| {t.id} | {cell(t.title)} | {t.version} | {t.change.value} | "
                    f"{', '.join(t.replaced_by) or '-'} | {cell(t.note)} |"
                )
            yield ""


def standard_intro_md(standard: Standard) -> Iterator[str]:
    """Title, status, description, level semantics, levels and tags."""
    yield f"# {standard.name} {standard.version}"
    yield ""
    yield f"Status: {standard.status}. Released: {standard.released}. License: {standard.license}."
    yield ""
    if standard.status_note:
        yield f"> {inline(standard.status_note)}"
        yield ""
    yield inline(standard.description)
    yield ""
    yield "## Levels"
    yield ""
    yield inline(standard.level_semantics)
    yield ""
    yield "| Level | Name | For | Description |"
    yield "|---|---|---|---|"
    for d in standard.levels:
        yield f"| {d.level} | {cell(d.name)} | {cell(d.audience)} | {cell(d.description)} |"
    yield ""
    yield "## Applicability tags"
    yield ""
    yield "| Tag | Meaning |"
    yield "|---|---|"
    for t in standard.tags:
        yield f"| `{t.id}` | {cell(t.description)} |"
    yield ""


def export_markdown(standard: Standard) -> str:
    """The whole standard as one Markdown document."""
    lines = list(standard_intro_md(standard))
    for chapter in standard.chapters:
        lines += chapter_md(chapter, standard, top="##")
    lines.append(f"Content digest: `sha256:{standard.digest}`")
    return "\n".join(lines) + "\n"
