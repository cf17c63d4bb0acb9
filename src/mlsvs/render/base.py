"""The renderer protocol, the renderer registry and ``-f FMT[:PATH]`` output handling.

Renderers are found through the ``mlsvs.renderers`` entry-point group (built-ins register
exactly like third-party plugins). A renderer is a class with a no-argument constructor;
built-ins that can show requirement titles also accept ``requirement_titles=`` (a mapping
from requirement or chapter ID to its title, supplied by the caller from the catalog).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from mlsvs.errors import PluginError, UsageError
from mlsvs.output.spec import OutputSpec
from mlsvs.output.spec import parse_output_specs as parse_specs

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from mlsvs.model.assessment import Assessment

GROUP = "mlsvs.renderers"


@runtime_checkable
class Renderer(Protocol):
    """Turns an ``Assessment`` into one output format. Pure: reads only the assessment."""

    name: ClassVar[str]
    suffix: ClassVar[str]
    binary: ClassVar[bool]

    def render(self, assessment: Assessment, out: IO[Any]) -> None:
        """Write the whole report to ``out`` (text, or bytes when ``binary``)."""


def renderer_names() -> tuple[str, ...]:
    """Names of every registered renderer, sorted (nothing is imported)."""
    from importlib.metadata import entry_points

    return tuple(sorted({ep.name for ep in entry_points(group=GROUP)}))


def load_renderer(name: str) -> type[Renderer]:
    """Import one renderer class; ``UsageError`` if unknown, ``PluginError`` if it is broken."""
    from importlib.metadata import entry_points

    matches = sorted(entry_points(group=GROUP, name=name), key=lambda ep: ep.value)
    if not matches:
        known = ", ".join(renderer_names()) or "none"
        raise UsageError(f"unknown output format {name!r} (available: {known})")
    entry = matches[0]
    try:
        loaded = entry.load()
    except Exception as exc:  # a plugin may raise anything on import
        raise PluginError(f"renderer {name!r} ({entry.value}) failed to load: {exc}") from exc
    if not inspect.isclass(loaded) or not callable(getattr(loaded, "render", None)):
        raise PluginError(f"renderer {name!r} ({entry.value}) is not a renderer class")
    return cast("type[Renderer]", loaded)


def load_renderers(names: Iterable[str] | None = None) -> dict[str, type[Renderer]]:
    """Renderer classes by name: all registered ones, or only ``names``."""
    wanted = renderer_names() if names is None else tuple(sorted(set(names)))
    return {name: load_renderer(name) for name in wanted}


def parse_output_specs(
    values: Iterable[str] | None, *, default: str = "terminal", known: Iterable[str] | None = None
) -> tuple[OutputSpec, ...]:
    """Parse repeated ``-f FMT[:PATH]`` values against the registered renderers (or
    ``known``); see :func:`mlsvs.output.spec.parse_output_specs`."""
    return parse_specs(values, default=default, known=renderer_names() if known is None else known)


def instantiate(cls: type[Renderer], requirement_titles: Mapping[str, str] | None) -> Renderer:
    """Build a renderer, passing ``requirement_titles`` to those that accept it."""
    if requirement_titles is not None:
        params = inspect.signature(cls).parameters
        if "requirement_titles" in params:
            return cls(requirement_titles=requirement_titles)  # type: ignore[call-arg]
    return cls()


def write_outputs(
    assessment: Assessment,
    specs: Iterable[OutputSpec],
    *,
    requirement_titles: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
) -> tuple[str, ...]:
    """Render ``assessment`` once per spec; returns the files written.

    Files are opened only when their renderer runs, parent directories are created, and each
    file is written to a temporary name in the same directory and renamed over the target, so
    a reader never sees half a report and a failed render leaves no file behind.

    Overwrite policy: a complete assessment replaces the file at the requested path (the
    output is what the user asked for, like a compiler's). An *interrupted* assessment never
    does: it goes to ``partial_path(path)`` (``report.json`` -> ``report.partial.json``), so
    a partial report cannot be mistaken for, or replace, a complete one.
    """
    from mlsvs.util.text import sanitize

    # Names and messages from the scanned tree may hold lone surrogates (non-UTF-8 file
    # names) or control characters: every format gets the same escaped, encodable text.
    assessment = sanitize(assessment)
    written: list[str] = []
    for spec in specs:
        renderer = instantiate(load_renderer(spec.format), requirement_titles)
        binary = bool(getattr(renderer, "binary", False))
        if assessment.interrupted and not spec.to_stdout:
            spec = OutputSpec(format=spec.format, path=partial_path(spec.path))
        with _open(spec, binary=binary, stdout=stdout) as out:
            renderer.render(assessment, out)
        if not spec.to_stdout:
            written.append(spec.path)
    return tuple(written)


def partial_path(path: str) -> str:
    """Where the report of an interrupted run goes: ``out/report.partial.json``."""
    p = Path(path)
    name = p.name
    stem, dot, suffix = name.partition(".")
    partial = f"{stem}.partial{dot}{suffix}" if dot and stem else f"{name}.partial"
    return str(p.with_name(partial))


@contextlib.contextmanager
def _open(spec: OutputSpec, *, binary: bool, stdout: IO[str] | None) -> Iterator[IO[Any]]:
    if spec.to_stdout:
        stream: IO[str] = stdout if stdout is not None else sys.stdout
        yield stream.buffer if binary and hasattr(stream, "buffer") else stream
        stream.flush()
        return
    from mlsvs.util.atomic import atomic_open

    try:
        with atomic_open(Path(spec.path), binary=binary) as handle:
            yield handle
    except OSError as exc:
        raise UsageError(
            f"cannot write {spec.format} output: {exc.strerror}", path=spec.path
        ) from exc
