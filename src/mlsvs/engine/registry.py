"""Find checks through the ``mlsvs.checks`` entry-point group, built-ins and plugins alike.

An entry point names a module; when that module is a package its submodules are imported too.
Every module-level ``Check`` object is collected. Nothing registers itself on import.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from mlsvs.errors import PluginError
from mlsvs.model.artifact import Target
from mlsvs.model.assessment import Problem, ProblemKind
from mlsvs.model.check import CHECK_ID, Check

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import ModuleType

    from mlsvs.model.catalog import Standard

GROUP = "mlsvs.checks"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedCheck:
    """A check and where it came from."""

    check: Check[Target]
    source: str
    """``distribution version: module.attribute``."""
    attribute: str
    """Module attribute holding the check, for re-import in an isolated process."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Registry:
    """The checks that loaded, in ID order, and the plugins that did not."""

    checks: tuple[LoadedCheck, ...]
    problems: tuple[Problem, ...]

    def get(self, check_id: str) -> LoadedCheck:
        """Look a check up by ID; ``KeyError`` when absent."""
        for loaded in self.checks:
            if loaded.check.id == check_id:
                return loaded
        raise KeyError(check_id)


def load_registry(standard: Standard | None = None, *, group: str = GROUP) -> Registry:
    """Import every check module named in ``group`` and validate the checks against ``standard``.

    A module that fails to import becomes a problem and is left out; a check that maps to no
    requirement of ``standard`` is disabled and said so. A check whose own metadata is
    incomplete (no valid ID, no requirement, no target type, no docstring) and duplicate check
    IDs are fatal (``PluginError``): a check is never silently dropped for a fixable mistake.
    """
    problems: list[Problem] = []
    found: dict[str, LoadedCheck] = {}
    carried = _carriers(standard)
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            modules = _modules(ep)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the run
            problems.append(
                _problem(
                    f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
                )
            )
            continue
        for module in modules:
            for attribute, candidate in sorted(vars(module).items()):
                if not isinstance(candidate, Check) or candidate.module != module.__name__:
                    continue
                loaded = LoadedCheck(
                    check=candidate,
                    source=_source(ep, module, attribute),
                    attribute=f"{module.__name__}:{attribute}",
                )
                broken = _metadata_error(candidate)
                if broken:
                    raise PluginError(
                        f"check {candidate.id!r} ({loaded.source}) {broken}: every check needs "
                        "a check ID, at least one requirement, a target type and a docstring "
                        "(see docs/plugins.md)"
                    )
                candidate = _translated(candidate, standard, carried)
                loaded = dataclasses.replace(loaded, check=candidate)
                issue = _invalid(candidate, standard)
                unknown = _unknown_requirements(candidate, standard)
                if unknown and not issue:
                    problems.append(
                        _problem(
                            f"check {candidate.id} ({loaded.source}) maps to requirement(s) not "
                            f"in {standard.key if standard else ''} "
                            f"{standard.version if standard else ''}: {', '.join(unknown)}; "
                            "its findings count only for the requirements this version has"
                        )
                    )
                if issue:
                    problems.append(
                        _problem(f"check {candidate.id} ({loaded.source}) disabled: {issue}")
                    )
                    continue
                if candidate.id in found:
                    raise PluginError(
                        f"duplicate check id {candidate.id}: "
                        f"{found[candidate.id].source} and {loaded.source}"
                    )
                found[candidate.id] = loaded
    checks = tuple(found[k] for k in sorted(found))
    return Registry(checks=checks, problems=tuple(problems))


def _carriers(standard: Standard | None) -> Mapping[str, tuple[str, ...]]:
    """Built-in checks are written for the default (newest released) standard: under another
    version, the IDs that carry each of its requirements there (see ``catalog.carriers``)."""
    if standard is None:
        return {}
    from mlsvs.catalog import load_standard
    from mlsvs.catalog.crosswalk import carriers
    from mlsvs.errors import MlsvsError

    try:
        newest = load_standard()
    except MlsvsError:
        return {}
    if newest.key != standard.key or newest.version == standard.version:
        return {}
    return carriers(standard, newest)


def _translated(
    check: Check[Target], standard: Standard | None, carried: Mapping[str, tuple[str, ...]]
) -> Check[Target]:
    """``check`` judging, for each requirement ``standard`` lacks, the ones that carry it."""
    if standard is None or not carried:
        return check
    ids: list[str] = []
    for rid in check.requirements:
        for target in (rid,) if rid in standard.requirements else carried.get(rid, (rid,)):
            if target not in ids:
                ids.append(target)
    if tuple(ids) == check.requirements:
        return check
    return dataclasses.replace(check, requirements=tuple(ids))


def _modules(ep: EntryPoint) -> Iterable[ModuleType]:
    module = importlib.import_module(ep.value.split(":")[0])
    yield module
    if hasattr(module, "__path__"):
        prefix = module.__name__ + "."
        for info in sorted(pkgutil.walk_packages(module.__path__, prefix), key=lambda i: i.name):
            if info.name.rsplit(".", 1)[-1].startswith("_"):
                continue  # private helpers of a check package hold no checks
            yield importlib.import_module(info.name)


def _metadata_error(check: Check[Target]) -> str:
    """What is missing from a check's declaration, or ``""``."""
    if not CHECK_ID.match(check.id):
        return "has an invalid id (expected MLC123, or 2-5 capitals and 3-4 digits: ACME001)"
    if not check.requirements:
        return "maps to no requirement"
    applies_to: object = check.applies_to  # plugins are untyped at run time
    if not (isinstance(applies_to, type) and issubclass(applies_to, Target)):
        return "has an applies_to that is not a target type"
    if not check.description:
        return "has no docstring"
    return ""


def _invalid(check: Check[Target], standard: Standard | None) -> str:
    if standard is not None and not any(r in standard.requirements for r in check.requirements):
        # A check written for another version of the standard may map to IDs this version does
        # not have (split, merged or added since). It stays enabled while at least one of its IDs
        # exists here; with none it could decide nothing, so it is disabled and said so.
        return f"maps to no requirement of {standard.key} {standard.version}: " + ", ".join(
            check.requirements
        )
    return ""


def _unknown_requirements(check: Check[Target], standard: Standard | None) -> list[str]:
    if standard is None:
        return []
    return [r for r in check.requirements if r not in standard.requirements]


def _source(ep: EntryPoint, module: ModuleType, attribute: str) -> str:
    dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "unknown"
    return f"{dist}: {module.__name__}.{attribute}"


def _problem(message: str) -> Problem:
    return Problem(kind=ProblemKind.PLUGIN, message=message)
