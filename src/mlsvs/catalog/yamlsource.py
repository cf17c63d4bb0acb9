"""Read YAML safely and remember the line of every key and list item.

PyYAML's composed node tree carries source marks; we construct plain Python data with the
safe constructor and, alongside it, a map from each path (``("sections", 0, "id")``) to the
1-based line where that key or item starts. Validators use the map to report ``file:line``.
Duplicate mapping keys, which PyYAML silently collapses, are reported as problems, and so are
anchors/aliases (catalogs never need them; they would allow exponential "billion laughs" input).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from mlsvs.catalog.problems import CatalogProblem

if TYPE_CHECKING:
    from pathlib import Path

    import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A parsed YAML document with the line of every path in it."""

    file: str
    data: Any
    lines: Mapping[Path_, int]

    def line_of(self, path: Path_) -> int:
        """The line of ``path`` or of its nearest located ancestor (the document start: 1)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def problem(self, path: Path_, message: str) -> CatalogProblem:
        """A problem located at ``path`` in this file."""
        return CatalogProblem(file=self.file, line=self.line_of(path), message=message)


def _safe_loader(text: str) -> yaml.SafeLoader:
    """libyaml's ``CSafeLoader`` when available (much faster), else the pure-Python one."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    return cast("yaml.SafeLoader", loader_class(text))


@dataclass(slots=True)
class _Walk:
    lines: dict[Path_, int]
    dupes: list[tuple[Path_, int]]
    aliases: list[int]
    seen: set[int]


def _walk(node: yaml.Node, path: Path_, state: _Walk) -> None:
    import yaml

    if id(node) in state.seen:  # an alias: catalogs never need them (and they enable bombs)
        state.aliases.append(node.start_mark.line + 1)  # the anchor's line; see _alias_lines
        return
    state.seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
            line = key_node.start_mark.line + 1
            if key in keys:
                state.dupes.append(((*path, key), line))
            keys.add(key)
            state.lines[(*path, key)] = line
            _walk(value_node, (*path, key), state)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            state.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), state)


def _alias_lines(text: str) -> list[int]:
    """Lines of the alias uses (``*name``) in ``text``, from the event stream."""
    import yaml

    loader = _safe_loader(text)
    lines = []
    try:
        while loader.check_event():
            event = loader.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
                lines.append(event.start_mark.line + 1)
    finally:
        loader.dispose()
    return lines


def parse_text(text: str, *, file: str) -> tuple[Source | None, list[CatalogProblem]]:
    """Parse one YAML document. Malformed YAML gives ``None`` and one located problem."""
    import yaml

    loader = _safe_loader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return None, [CatalogProblem(file=file, line=line, message=f"malformed YAML: {reason}")]
    except yaml.YAMLError as exc:
        return None, [CatalogProblem(file=file, line=None, message=f"malformed YAML: {exc}")]
    finally:
        loader.dispose()
    state = _Walk(lines={}, dupes=[], aliases=[], seen=set())
    if node is not None:
        _walk(node, (), state)
    if state.aliases:
        message = "YAML anchors and aliases are not allowed in catalog files"
        lines = _alias_lines(text) or state.aliases
        return None, [CatalogProblem(file=file, line=line, message=message) for line in lines]
    problems = [
        CatalogProblem(file=file, line=line, message=f"duplicate key {path[-1]!r}")
        for path, line in state.dupes
    ]
    return Source(file=file, data=data, lines=state.lines), problems


def parse_file(path: Path, *, display: str) -> tuple[Source | None, list[CatalogProblem]]:
    """Read and parse ``path``; an unreadable file is one problem, never an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [
            CatalogProblem(file=display, line=None, message=f"cannot read file: {reason}")
        ]
    return parse_text(text, file=display)
