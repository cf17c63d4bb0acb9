"""Load a catalog directory: YAML -> schema (pydantic) -> semantic rules -> ``Standard``.

A catalog directory holds ``standard.yaml`` and ``chapters/M<n>-<slug>.yaml``; reference data
(frameworks, ATLAS, ML Top 10) is found as described in ``mlsvs.catalog.reference``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.catalog.problems import CatalogProblem, sort_problems
from mlsvs.errors import CatalogError

if TYPE_CHECKING:
    from mlsvs.catalog.reference import References
    from mlsvs.catalog.schema import ChapterModel, StandardModel
    from mlsvs.catalog.yamlsource import Source
    from mlsvs.model.catalog import Standard

BUNDLED = Path(__file__).parent / "data" / "mlsvs"
STANDARD_FILE = "standard.yaml"
CHAPTER_FILE = re.compile(r"^(?P<id>M[1-9]\d*)-[a-z0-9]+(-[a-z0-9]+)*\.yaml$")
_SEMVER_DIR = re.compile(r"^\d+\.\d+\.\d+$")


# (standard, chapters in listed order, reference data); a plain tuple so that the pydantic
# models stay type-only imports here.
_Parsed = tuple["StandardModel", tuple["ChapterModel", ...], "References"]


def _chapter_files(directory: Path) -> tuple[dict[str, list[Path]], list[CatalogProblem]]:
    found: dict[str, list[Path]] = {}
    problems: list[CatalogProblem] = []
    chapters_dir = directory / "chapters"
    if not chapters_dir.is_dir():
        return found, [CatalogProblem(file="chapters/", line=None, message="directory not found")]
    for path in sorted(chapters_dir.iterdir()):
        if path.suffix not in {".yaml", ".yml"}:
            continue
        match = CHAPTER_FILE.match(path.name)
        if match is None:
            message = "chapter file name must look like M<n>-<slug>.yaml"
            problems.append(
                CatalogProblem(file=f"chapters/{path.name}", line=None, message=message)
            )
            continue
        found.setdefault(match["id"], []).append(path)
    return found, problems


def _read_standard(
    directory: Path,
) -> tuple[StandardModel | None, Source | None, list[CatalogProblem]]:
    from mlsvs.catalog import semantics
    from mlsvs.catalog.pydantic_problems import validate_model
    from mlsvs.catalog.schema import StandardModel
    from mlsvs.catalog.yamlsource import parse_file

    source, problems = parse_file(directory / STANDARD_FILE, display=STANDARD_FILE)
    if source is None:
        return None, None, problems
    standard, found = validate_model(StandardModel, source)
    problems += found
    if standard is not None:
        problems += semantics.check_standard(standard, source)
        if _SEMVER_DIR.match(directory.name) and directory.name != standard.version:
            message = f"version {standard.version} != directory name {directory.name}"
            problems.append(source.problem(("version",), message))
    return standard, source, problems


def _read_chapters(
    standard: StandardModel,
    source: Source,
    files: dict[str, list[Path]],
    refs: References,
    directory: Path,
) -> tuple[list[ChapterModel], list[CatalogProblem]]:
    from mlsvs.catalog import semantics
    from mlsvs.catalog.pydantic_problems import validate_model
    from mlsvs.catalog.schema import ChapterModel
    from mlsvs.catalog.yamlsource import parse_file

    problems: list[CatalogProblem] = []
    for chapter_id in sorted(set(files) - set(standard.chapters)):
        for path in files[chapter_id]:
            message = f"chapter {chapter_id} is not listed in {STANDARD_FILE}"
            problems.append(
                CatalogProblem(file=f"chapters/{path.name}", line=None, message=message)
            )
    chapters: list[ChapterModel] = []
    sources: list[Source] = []
    seen: dict[str, str] = {}  # ID -> file:line of its first definition
    for index, chapter_id in enumerate(standard.chapters):
        paths = files.get(chapter_id, [])
        if len(paths) != 1:
            count = "no file" if not paths else f"{len(paths)} files"
            message = f"{count} for chapter {chapter_id}"
            problems.append(source.problem(("chapters", index), message))
            continue
        c_source, found = parse_file(paths[0], display=f"chapters/{paths[0].name}")
        problems += found
        chapter = None
        if c_source is not None:
            chapter, found = validate_model(ChapterModel, c_source)
            problems += found
        if chapter is None or c_source is None:
            continue
        if chapter.id != chapter_id:
            message = f"file is for chapter {chapter_id} but declares id {chapter.id}"
            problems.append(c_source.problem(("id",), message))
            continue
        chapters.append(chapter)
        sources.append(c_source)
        problems += semantics.check_chapter(
            chapter, c_source, standard=standard, refs=refs, seen=seen
        )
    if len(chapters) == len(standard.chapters):  # coverage is meaningless with chapters missing
        problems += semantics.check_coverage(chapters, refs)
        problems += semantics.check_replacements(chapters, sources)
        problems += semantics.check_lineage(
            chapters, sources, _earlier_ids(directory, standard.version), source
        )
    return chapters, problems


def _earlier_ids(directory: Path, version: str) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """(live IDs, tombstoned IDs) of each older sibling version directory (``1.0.0`` ...).

    Read cheaply (YAML only): the older versions validate on their own.
    """
    from mlsvs.catalog.yamlsource import parse_file

    found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    if not _SEMVER_DIR.match(directory.name):
        return found
    for sibling in sorted(directory.parent.iterdir()):
        if not (sibling.is_dir() and _SEMVER_DIR.match(sibling.name)):
            continue
        if _version_key(sibling.name) >= _version_key(version):
            continue
        live: set[str] = set()
        dead: set[str] = set()
        for path in sorted((sibling / "chapters").glob("M*.yaml")):
            src, _ = parse_file(path, display=path.name)
            data = src.data if src is not None else None
            for section in (data or {}).get("sections", []) if isinstance(data, dict) else []:
                if not isinstance(section, dict):
                    continue
                live.update(
                    str(r.get("id")) for r in section.get("requirements", []) if isinstance(r, dict)
                )
                dead.update(
                    str(t.get("id")) for t in section.get("withdrawn", []) if isinstance(t, dict)
                )
        found[sibling.name] = (frozenset(live), frozenset(dead))
    return found


def _read(directory: Path) -> tuple[_Parsed | None, list[CatalogProblem]]:
    from mlsvs.catalog.reference import load_references

    if not (directory / STANDARD_FILE).is_file():
        raise CatalogError(f"{directory} is not a catalog directory (no {STANDARD_FILE})")
    refs, problems = load_references(directory)
    standard, source, found = _read_standard(directory)
    problems += found
    files, found = _chapter_files(directory)
    problems += found
    if standard is None or source is None:
        return None, sort_problems(problems)
    chapters, found = _read_chapters(standard, source, files, refs, directory)
    problems += found
    if problems:
        return None, sort_problems(problems)
    return (standard, tuple(chapters), refs), []


def validate_directory(path: Path | str) -> list[CatalogProblem]:
    """Every problem of the catalog in ``path`` (empty when valid), sorted by file and line.

    Raises ``CatalogError`` only when ``path`` is not a catalog directory at all.
    """
    return _read(Path(path))[1]


def load_directory(path: Path | str) -> Standard:
    """Load and validate the catalog in ``path``; ``CatalogError`` lists every problem."""
    from mlsvs.catalog.build import build_standard

    parsed, problems = _read(Path(path))
    if parsed is None:
        raise CatalogError(
            f"catalog {path} is invalid ({len(problems)} problem(s))",
            problems=tuple(str(p) for p in problems),
        )
    return build_standard(*parsed)


def bundled_versions() -> dict[str, str]:
    """Version -> status (``draft``/``final``) of every bundled catalog, read cheaply."""
    from mlsvs.catalog.yamlsource import parse_file

    found: dict[str, str] = {}
    if not BUNDLED.is_dir():
        return found
    for directory in sorted(BUNDLED.iterdir()):
        source, _ = parse_file(directory / STANDARD_FILE, display=STANDARD_FILE)
        if source is not None and isinstance(source.data, dict):
            found[directory.name] = str(source.data.get("status", "draft"))
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def default_version(versions: dict[str, str]) -> str:
    """The newest ``released`` (or legacy ``final``) version; else the newest of any status."""
    if not versions:
        raise CatalogError(f"no catalog is bundled under {BUNDLED}")
    finals = [v for v, status in versions.items() if status in {"final", "released"}]
    return max(finals or list(versions), key=_version_key)


@functools.lru_cache(maxsize=8)
def _load_cached(directory: Path) -> Standard:
    return load_directory(directory)


def _requested(version: str | None) -> str | None:
    """``1.0.0``, ``v1.0.0`` and ``mlsvs@1.0.0`` all name version ``1.0.0``."""
    if not version:
        return None
    key, sep, rest = version.strip().partition("@")
    if sep and key != "mlsvs":
        raise CatalogError(f"unknown standard {key!r} (only 'mlsvs' is bundled)")
    return (rest if sep else key).removeprefix("v") or None


def load_standard(version: str | None = None, *, directory: Path | None = None) -> Standard:
    """Load a validated standard: a bundled ``version`` (default: newest final) or ``directory``.

    ``version`` may be ``1.0.0``, ``v1.0.0`` or ``mlsvs@1.0.0``; ``directory`` (an overlay or
    fork) takes precedence when given. Results are cached per process (``Standard`` is
    immutable).
    """
    if directory is not None:
        return _load_cached(Path(directory).resolve())
    versions = bundled_versions()
    wanted = _requested(version) or default_version(versions)
    if wanted not in versions:
        known = ", ".join(sorted(versions, key=_version_key)) or "none"
        raise CatalogError(f"no bundled standard version {wanted!r} (bundled: {known})")
    return _load_cached(BUNDLED / wanted)
