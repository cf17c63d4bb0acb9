"""Stage 2 of validation: rules that span records and files.

Pure functions over schema-valid models and their sources; every rule reports every
violation with ``file:line`` (never only the first).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from mlsvs.model.catalog import value_has_type

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlsvs.catalog.problems import CatalogProblem
    from mlsvs.catalog.reference import References
    from mlsvs.catalog.schema import (
        ChapterModel,
        ParameterModel,
        RequirementModel,
        StandardModel,
    )
    from mlsvs.catalog.yamlsource import Path_, Source

_LEVELS = ("L1", "L2", "L3")

# A bar the verified party sets for itself: "the declared threshold", "a defined time", ...
SELF_SET_BAR = re.compile(
    r"\b(declared|defined|documented|stated|chosen|agreed)\s+(?:(?:maximum|minimum|low|high|"
    r"per-?\s?principal|poison|time|false-positive|detection|acceptance|confidence|"
    r"regression|privacy|query|perturbation(?: and query)?)\s+)*"
    r"(threshold|limit|budget|bound|tolerance|rate|radius|fraction|interval|time|objective|"
    r"maximum|minimum|share|count|level|period|FPR|thresholds|limits|budgets|bounds)s?\b",
    re.IGNORECASE,
)


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def check_standard(standard: StandardModel, source: Source) -> list[CatalogProblem]:
    """Levels 1-3 each defined once; tags and chapters listed once."""
    problems: list[CatalogProblem] = []
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
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
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
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
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


# A second obligation in one requirement text: another "that"-clause ("... and that ...",
# ", that ...", "; ...") or another finite verb joined by "and" ("... and is logged").
_SECOND_CLAUSE = re.compile(r"\band that\b|, that\b|; ")
_SECOND_VERB = re.compile(
    r"\band (?:is|are|has|have|can|cannot|does|do|must|requires?|triggers?|raises?|stays?|"
    r"uses?|keeps?|records?|verif(?:y|ies)|meets?|follows?)\b"
)


def compound_clauses(text: str) -> int:
    """How many obligations a requirement text states (1 for a single one), by the measure
    ``1 + second that-clauses + second finite verbs``; used to report and test compoundness."""
    flat = " ".join(text.split())
    return 1 + len(_SECOND_CLAUSE.findall(flat)) + len(_SECOND_VERB.findall(flat))


def _atlas_kinds(
    req: RequirementModel, refs: References, source: Source, path: Path_
) -> list[CatalogProblem]:
    """Techniques in the technique field, mitigations in the mitigation field (strict mode)."""
    from mlsvs.catalog.reference import ATLAS_PREFIX, atlas_field_kind

    problems: list[CatalogProblem] = []
    for key, ids in req.mappings.items():
        if not key.startswith(ATLAS_PREFIX):
            continue
        wanted = atlas_field_kind(key)
        for index, foreign in enumerate(ids):
            kind = refs.atlas_kinds.get(foreign)
            if kind is not None and kind != wanted:
                problems.append(
                    source.problem(
                        (*path, key, index), f"{foreign} is an ATLAS {kind}, not a {wanted}"
                    )
                )
    return problems


def _mapping_notes(req: RequirementModel, source: Source, path: Path_) -> list[CatalogProblem]:
    """Every mapped foreign ID has a one-line rationale and every rationale a mapping."""
    problems: list[CatalogProblem] = []
    for key, ids in req.mappings.items():
        notes = req.mapping_notes.get(key, {})
        for index, foreign in enumerate(ids):
            if foreign not in notes:
                problems.append(
                    source.problem(
                        (*path, "mappings", key, index), f"mapping {foreign} has no rationale"
                    )
                )
    problems.extend(
        source.problem(
            (*path, "mapping_notes", key, foreign),
            f"rationale for {foreign}, which is not mapped under {key}",
        )
        for key, notes in req.mapping_notes.items()
        for foreign in notes
        if foreign not in req.mappings.get(key, [])
    )
    return problems


def self_set_bars(req: RequirementModel) -> list[str]:
    """Phrases that let the verified party choose its own bar (``declared threshold`` ...)."""
    texts = (req.text, req.verification.pass_criteria, req.verification.fail_condition)
    return [m.group(0) for text in texts for m in SELF_SET_BAR.finditer(" ".join(text.split()))]


def _bars(req: RequirementModel, source: Source, path: Path_) -> list[CatalogProblem]:
    problems = [
        source.problem((*path, "verification"), f"self-set bar {phrase!r}: use a parameter")
        for phrase in self_set_bars(req)
    ]
    criteria = f"{req.verification.pass_criteria} {req.verification.fail_condition}"
    for index, parameter in enumerate(req.parameters):
        if f"`{parameter.name}`" not in criteria:
            problems.append(
                source.problem(
                    (*path, "parameters", index),
                    f"parameter {parameter.name} is not named (as `{parameter.name}`) in the "
                    "pass criteria or fail condition",
                )
            )
    return problems


def _parameter(
    param: ParameterModel, level: int, source: Source, path: Path_
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    expected = [lv for lv in _LEVELS if int(lv[1]) >= level]
    missing = [lv for lv in expected if lv not in param.values]
    extra = [lv for lv in param.values if lv not in expected]
    if missing:
        problems.append(source.problem((*path, "values"), f"no value for {', '.join(missing)}"))
    if extra:
        message = f"value for {', '.join(extra)}, below the requirement's entry level L{level}"
        problems.append(source.problem((*path, "values"), message))
    for lv, value in param.values.items():
        if not value_has_type(value, param.type):
            problems.append(
                source.problem((*path, "values", lv), f"{value!r} is not of type {param.type}")
            )
    ordered = [param.values[lv] for lv in _LEVELS if lv in param.values]
    numeric = [v for v in ordered if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numeric) == len(ordered) and len(ordered) > 1:
        pairs = list(itertools.pairwise(numeric))
        if param.comparison in {"floor", "budget"} and any(b < a for a, b in pairs):
            message = f"a {param.comparison} must not get laxer (smaller) at higher levels"
            problems.append(source.problem((*path, "values"), message))
        if param.comparison == "ceiling" and any(b > a for a, b in pairs):
            message = "a ceiling must not get laxer (larger) at higher levels"
            problems.append(source.problem((*path, "values"), message))
    a = param.assignable
    if a is not None:
        if a.choices and param.type != "string":
            problems.append(source.problem((*path, "assignable"), "choices need type string"))
        if a.min is not None and a.max is not None and a.min > a.max:
            problems.append(source.problem((*path, "assignable"), "min is greater than max"))
        for lv, value in param.values.items():
            if isinstance(value, str):
                if a.choices and value not in a.choices:
                    message = f"default {value!r} for {lv} is not among the choices"
                    problems.append(source.problem((*path, "assignable"), message))
            elif not isinstance(value, bool) and (
                (a.min is not None and value < a.min) or (a.max is not None and value > a.max)
            ):
                message = f"default {value} for {lv} is outside the assignable bounds"
                problems.append(source.problem((*path, "assignable"), message))
    return problems


def _parameters(req: RequirementModel, source: Source, path: Path_) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    names: set[str] = set()
    for index, param in enumerate(req.parameters):
        where = (*path, index)
        if param.name in names:
            problems.append(source.problem(where, f"parameter {param.name!r} defined twice"))
        names.add(param.name)
        problems += _parameter(param, req.level, source, where)
    return problems


def _history(
    req: RequirementModel, version: str, source: Source, path: Path_
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
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
) -> list[CatalogProblem]:
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
            problems += _parameters(req, source, (*r_path, "parameters"))
            if standard.strict:
                problems += _atlas_kinds(req, refs, source, (*r_path, "mappings"))
                problems += _mapping_notes(req, source, r_path)
                problems += _bars(req, source, r_path)
                if compound_clauses(req.text) > 1:
                    message = "the text states more than one obligation: split the requirement"
                    problems.append(source.problem((*r_path, "text"), message))
        for t_index, tomb in enumerate(section.withdrawn):
            t_path: Path_ = (*s_path, "withdrawn", t_index)
            problems += _unique_nested(tomb.id, section.id, source, (*t_path, "id"), seen)
            if _semver(tomb.version) > _semver(standard.version):
                message = f"withdrawn in {tomb.version}, newer than {standard.version}"
                problems.append(source.problem((*t_path, "version"), message))
    return problems


def check_replacements(
    chapters: Sequence[ChapterModel], sources: Sequence[Source]
) -> list[CatalogProblem]:
    """Every tombstone's ``replaced_by`` names a live requirement of the same version."""
    live = {r.id for c in chapters for s in c.sections for r in s.requirements}
    problems: list[CatalogProblem] = []
    for chapter, source in zip(chapters, sources, strict=True):
        for s_index, section in enumerate(chapter.sections):
            for t_index, tomb in enumerate(section.withdrawn):
                for r_index, target in enumerate(tomb.replaced_by):
                    if target not in live:
                        path: Path_ = ("sections", s_index, "withdrawn", t_index)
                        message = f"{tomb.id} is replaced by {target}, which is not a requirement"
                        problems.append(source.problem((*path, "replaced_by", r_index), message))
    return problems


def check_lineage(
    chapters: Sequence[ChapterModel],
    sources: Sequence[Source],
    earlier: Mapping[str, tuple[frozenset[str], frozenset[str]]],
    standard_source: Source,
) -> list[CatalogProblem]:
    """IDs are never reused or silently dropped across versions.

    ``earlier`` maps each older version to (its live IDs, its tombstoned IDs). Every ID an older
    version used must be live or tombstoned here, and an ID tombstoned before stays tombstoned.
    """
    problems: list[CatalogProblem] = []
    live: dict[str, tuple[Source, Path_]] = {}
    dead: set[str] = set()
    for chapter, source in zip(chapters, sources, strict=True):
        for s_index, section in enumerate(chapter.sections):
            for r_index, req in enumerate(section.requirements):
                live[req.id] = (source, ("sections", s_index, "requirements", r_index, "id"))
            dead.update(t.id for t in section.withdrawn)
    for version in sorted(earlier, key=_semver):
        old_live, old_dead = earlier[version]
        for rid in sorted(old_dead & live.keys()):
            source, path = live[rid]
            message = f"{rid} was withdrawn in {version} and must never be reused"
            problems.append(source.problem(path, message))
        dropped = sorted(old_live - live.keys() - dead)
        if dropped:
            message = (
                f"ID(s) of {version} neither kept nor tombstoned (withdrawn IDs stay as "
                f"tombstones): {', '.join(dropped)}"
            )
            problems.append(standard_source.problem(("version",), message))
    return problems


def _unique_nested(
    item_id: str, parent_id: str, source: Source, path: Path_, seen: dict[str, str]
) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    if not item_id.startswith(f"{parent_id}."):
        problems.append(source.problem(path, f"{item_id} is not nested under {parent_id}"))
    first = seen.get(item_id)
    if first is not None:
        problems.append(source.problem(path, f"duplicate ID {item_id} (first defined at {first})"))
    else:
        seen[item_id] = f"{source.file}:{source.line_of(path)}"
    return problems


def check_coverage(chapters: Sequence[ChapterModel], refs: References) -> list[CatalogProblem]:
    """Every OWASP ML Top 10 item is covered by at least one L1/L2 requirement."""
    problems: list[CatalogProblem] = []
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
