"""Stage 2 of validation: rules that span records and files.

Pure functions over schema-valid models and their sources; every rule reports every
violation with ``file:line`` (never only the first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.catalog.problems import Problem
    from mlsvs.catalog.reference import References
    from mlsvs.catalog.schema import ChapterModel, RequirementModel, StandardModel
    from mlsvs.catalog.yamlsource import Path_, Source


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def check_standard(standard: StandardModel, source: Source) -> list[Problem]:
    """Levels 1-3 each defined once; tags and chapters listed once."""
    problems: list[Problem] = []
    seen_levels: set[int] = set()
    for index, level in enumerate(standard.levels):
        if level.level in seen_levels:
            problems.append(source.problem(("levels", index), f"level {level.level} defined twice"))
        seen_levels.add(level.level)
    missing = sorted({1, 2, 3} - seen_levels)
    if missing:
        names = ", ".join(f"L{m}" for m in missing)
        problems.append(source.problem(("levels",), f"no definition for {names}"))
    seen_tags: set[str] = set()
    for index, tag in enumerate(standard.applicability_tags):
        if tag.id in seen_tags:
            path: Path_ = ("applicability_tags", index, "id")
            problems.append(source.problem(path, f"tag {tag.id!r} declared twice"))
        seen_tags.add(tag.id)
    seen_chapters: set[str] = set()
    for index, chapter_id in enumerate(standard.chapters):
        if chapter_id in seen_chapters:
            problems.append(
                source.problem(("chapters", index), f"chapter {chapter_id} listed twice")
            )
        seen_chapters.add(chapter_id)
    return problems


def _tags(
    tags: Sequence[str], declared: frozenset[str], source: Source, path: Path_
) -> list[Problem]:
    problems: list[Problem] = []
    for index, tag in enumerate(tags):
        if tag not in declared:
            problems.append(
                source.problem((*path, index), f"applicability tag {tag!r} is not declared")
            )
        elif tag in tags[:index]:
            problems.append(source.problem((*path, index), f"applicability tag {tag!r} repeated"))
    return problems


def _mappings(
    req: RequirementModel, refs: References, source: Source, path: Path_
) -> list[Problem]:
    problems: list[Problem] = []
    if not refs.loaded:  # frameworks.yaml is broken and reported; don't cascade
        return problems
    for key, ids in req.mappings.items():
        pattern = refs.patterns.get(key)
        if pattern is None:
            problems.append(source.problem((*path, key), f"unknown framework {key!r}"))
            continue
        known = refs.known_ids.get(key)
        for index, foreign in enumerate(ids):
            where = (*path, key, index)
            if pattern.fullmatch(foreign) is None:
                problems.append(
                    source.problem(where, f"{foreign!r} does not match the {key} ID pattern")
                )
            elif known is not None and foreign not in known:
                problems.append(source.problem(where, f"{foreign!r} is not an ID of {key}"))
            elif foreign in ids[:index]:
                problems.append(source.problem(where, f"{foreign!r} mapped twice"))
    return problems


def _history(req: RequirementModel, version: str, source: Source, path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    if req.history[0].change != "added":
        problems.append(source.problem((*path, 0), "the first history entry must be 'added'"))
    previous: tuple[int, ...] = (0, 0, 0)
    for index, entry in enumerate(req.history):
        where = (*path, index)
        current = _semver(entry.version)
        if current > _semver(version):
            problems.append(
                source.problem(where, f"history version {entry.version} is newer than {version}")
            )
        if current < previous:
            problems.append(source.problem(where, "history entries must be in version order"))
        if entry.change == "deleted":
            problems.append(
                source.problem(where, "a deleted requirement must be removed from the catalog")
            )
        if entry.change != "added" and index > 0 and not entry.note:
            problems.append(source.problem(where, f"a '{entry.change}' entry needs a note"))
        previous = max(previous, current)
    return problems


def check_chapter(
    chapter: ChapterModel,
    source: Source,
    *,
    standard: StandardModel,
    refs: References,
    seen: dict[str, str],
) -> list[Problem]:
    """Nesting, uniqueness (``seen`` spans all chapters), tags, mappings, history."""
    declared = frozenset(t.id for t in standard.applicability_tags)
    problems = _tags(chapter.applicability, declared, source, ("applicability",))
    if chapter.optional and not chapter.applicability:
        problems.append(
            source.problem(("optional",), "an optional chapter must list applicability tags")
        )
    for s_index, section in enumerate(chapter.sections):
        s_path: Path_ = ("sections", s_index)
        problems += _unique_nested(section.id, chapter.id, source, (*s_path, "id"), seen)
        for r_index, req in enumerate(section.requirements):
            r_path: Path_ = (*s_path, "requirements", r_index)
            problems += _unique_nested(req.id, section.id, source, (*r_path, "id"), seen)
            problems += _tags(req.applicability, declared, source, (*r_path, "applicability"))
            problems += _mappings(req, refs, source, (*r_path, "mappings"))
            problems += _history(req, standard.version, source, (*r_path, "history"))
    return problems


def _unique_nested(
    item_id: str, parent_id: str, source: Source, path: Path_, seen: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    if not item_id.startswith(f"{parent_id}."):
        problems.append(source.problem(path, f"{item_id} is not nested under {parent_id}"))
    first = seen.get(item_id)
    if first is not None:
        problems.append(source.problem(path, f"duplicate ID {item_id} (first defined at {first})"))
    else:
        seen[item_id] = f"{source.file}:{source.line_of(path)}"
    return problems


def check_coverage(chapters: Sequence[ChapterModel], refs: References) -> list[Problem]:
    """Every OWASP ML Top 10 item is covered by at least one L1/L2 requirement."""
    problems: list[Problem] = []
    for top10 in refs.top10:
        covered = {
            foreign
            for chapter in chapters
            for section in chapter.sections
            for req in section.requirements
            if req.level <= 2
            for foreign in req.mappings.get(top10.key, ())
        }
        for index, (item_id, name) in enumerate(top10.items):
            if item_id not in covered:
                problems.append(
                    top10.source.problem(
                        ("items", index),
                        f"{item_id} ({name}) is not covered by any L1/L2 requirement",
                    )
                )
    return problems
