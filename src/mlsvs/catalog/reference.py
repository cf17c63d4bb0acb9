"""Reference data the catalog is validated against: frameworks, MITRE ATLAS, ML Top 10.

Files: ``frameworks.yaml``; for framework ``mitre_atlas_<v>`` the ID list
``atlas/atlas-<v>.yaml``; for ``owasp_ml_top10_<edition>`` the items in
``owasp-ml-top10-<edition>.yaml``.

Lookup rule (documented for overlays): each reference file is taken from the validated
directory itself, else from two levels up (the layout of the bundled data,
``data/mlsvs/<version>/`` beside ``data/frameworks.yaml``), else from the bundled copy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlsvs.catalog.problems import CatalogProblem
from mlsvs.catalog.pydantic_problems import validate_model
from mlsvs.catalog.yamlsource import Source, parse_file
from mlsvs.model.catalog import Framework

DATA_DIR = Path(__file__).parent / "data"
FRAMEWORKS_FILE = "frameworks.yaml"
ATLAS_PREFIX = "mitre_atlas"
TOP10_PREFIX = "owasp_ml_top10"


@dataclass(frozen=True, slots=True, kw_only=True)
class Top10:
    """The items of one OWASP ML Top 10 edition, with where each is defined."""

    key: str
    items: tuple[tuple[str, str], ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class References:
    """Everything the semantic validator checks mappings against."""

    frameworks: tuple[Framework, ...] = ()
    patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    known_ids: dict[str, frozenset[str]] = field(default_factory=dict)
    """Framework key -> the complete ID set, where we bundle one (ATLAS, ML Top 10)."""
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """Framework key -> ID -> name, for the bundled ID lists (coverage pages)."""
    top10: tuple[Top10, ...] = ()
    atlas_kinds: dict[str, str] = field(default_factory=dict)
    """ATLAS ID -> ``tactic``, ``technique`` or ``mitigation`` (all bundled ATLAS files)."""
    loaded: bool = False
    """False when ``frameworks.yaml`` itself is unusable: mapping rules are then skipped."""


MITIGATIONS_SUFFIX = "_mitigations"


def _suffix(key: str, prefix: str) -> str:
    """``mitre_atlas_5.6`` -> ``5.6``: the edition part of a framework key names its file.

    ``mitre_atlas_5.6_mitigations`` (the field for mitigations) reads the same ATLAS file.
    """
    return key.removeprefix(prefix).lstrip("_").removesuffix(MITIGATIONS_SUFFIX)


def atlas_field_kind(key: str) -> str:
    """The ATLAS object kind a mapping field holds: ``mitigation`` or ``technique``."""
    return "mitigation" if key.endswith(MITIGATIONS_SUFFIX) else "technique"


def _find(directory: Path, relative: str) -> Path | None:
    for base in (directory, directory.parent.parent, DATA_DIR):
        candidate = base / relative
        if candidate.is_file():
            return candidate
    return None


def _display(path: Path, directory: Path) -> str:
    if path.is_relative_to(DATA_DIR) and not directory.resolve().is_relative_to(DATA_DIR):
        return path.resolve().as_posix()  # the bundled fallback: say so unambiguously
    return Path(os.path.relpath(path.resolve(), directory.resolve())).as_posix()


def _read(directory: Path, relative: str) -> tuple[Source | None, list[CatalogProblem]]:
    found = _find(directory, relative)
    if found is None:
        return None, [CatalogProblem(file=relative, line=None, message="reference file not found")]
    return parse_file(found, display=_display(found, directory))


_Atlas = tuple[dict[str, str], dict[str, str]]  # ID -> name, ID -> kind


def _atlas(directory: Path, key: str) -> tuple[_Atlas | None, list[CatalogProblem]]:
    from mlsvs.catalog.schema import AtlasFile

    source, problems = _read(directory, f"atlas/atlas-{_suffix(key, ATLAS_PREFIX)}.yaml")
    if source is None:
        return None, problems
    atlas, found = validate_model(AtlasFile, source)
    if atlas is None:
        return None, problems + found
    entries = (*atlas.tactics, *atlas.techniques, *atlas.mitigations)
    kinds = {
        **{e.id: "tactic" for e in atlas.tactics},
        **{e.id: "technique" for e in atlas.techniques},
        **{e.id: "mitigation" for e in atlas.mitigations},
    }
    return ({e.id: e.name for e in entries}, kinds), problems


def _top10(directory: Path, key: str) -> tuple[Top10 | None, list[CatalogProblem]]:
    from mlsvs.catalog.schema import Top10File

    source, problems = _read(directory, f"owasp-ml-top10-{_suffix(key, TOP10_PREFIX)}.yaml")
    if source is None:
        return None, problems
    top, found = validate_model(Top10File, source)
    if top is None:
        return None, problems + found
    items = tuple((i.id, i.name) for i in top.items)
    return Top10(key=key, items=items, source=source), problems


def load_references(directory: Path) -> tuple[References, list[CatalogProblem]]:
    """Read frameworks, ATLAS and ML Top 10 data for validating ``directory``."""
    from mlsvs.catalog.schema import FrameworksFile

    source, problems = _read(directory, FRAMEWORKS_FILE)
    parsed = None
    if source is not None:
        parsed, found = validate_model(FrameworksFile, source)
        problems += found
    if parsed is None or source is None:
        return References(), problems
    frameworks: list[Framework] = []
    patterns: dict[str, re.Pattern[str]] = {}
    names: dict[str, dict[str, str]] = {}
    top10: list[Top10] = []
    kinds: dict[str, str] = {}
    for index, fw in enumerate(parsed.frameworks):
        where = ("frameworks", index)
        if fw.key in patterns:
            problems.append(source.problem((*where, "key"), f"duplicate framework {fw.key!r}"))
            continue
        try:
            patterns[fw.key] = re.compile(fw.id_pattern)
        except re.error as exc:
            problems.append(source.problem((*where, "id_pattern"), f"invalid regex: {exc}"))
            continue
        frameworks.append(
            Framework(
                key=fw.key, name=fw.name, edition=fw.edition, id_pattern=fw.id_pattern, url=fw.url
            )
        )
        if fw.key.startswith(ATLAS_PREFIX):
            atlas, found = _atlas(directory, fw.key)
            problems += found
            if atlas is not None:
                names[fw.key] = atlas[0]
                kinds.update(atlas[1])
        elif fw.key.startswith(TOP10_PREFIX):
            top, found = _top10(directory, fw.key)
            problems += found
            if top is not None:
                names[fw.key] = dict(top.items)
                top10.append(top)
    refs = References(
        frameworks=tuple(frameworks),
        patterns=patterns,
        known_ids={key: frozenset(ids) for key, ids in names.items()},
        names=names,
        top10=tuple(top10),
        atlas_kinds=kinds,
        loaded=True,
    )
    return refs, problems
