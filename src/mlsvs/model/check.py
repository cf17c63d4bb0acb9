"""Declaring checks: typed metadata next to the function, registered by nobody.

The ``@check`` decorator returns a ``Check`` object. The engine's registry imports the modules
named by the ``mlsvs.checks`` entry-point group (and their submodules) and collects every
module attribute that is a ``Check``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar, cast

from mlsvs.model.artifact import Artifact, Capability, Project, Target
from mlsvs.model.catalog import Level
from mlsvs.model.result import Outcome, Severity

CHECK_ID = re.compile(r"^(MLC[1-9]\d{2}|[A-Z]{2,5}\d{3,4})$")

T = TypeVar("T", bound=Target)
V = TypeVar("V")


@enum.unique
class Isolation(enum.StrEnum):
    """Where a check runs."""

    THREAD = "thread"
    PROCESS = "process"
    """A spawned process: for checks that load models or heavy libraries."""


class OptionError(ValueError):
    """A check option from the configuration has the wrong type."""


def _typed(kind: str, key: str, values: Mapping[str, object], default: V) -> V:
    """``values[key]`` checked against ``default``'s type (ints widen to float), else default."""
    if key not in values:
        return default
    value = values[key]
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return cast("V", float(value))
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise OptionError(f"{kind} {key!r} must be {expected.__name__}, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    """Everything a check may use besides its target. Built by the engine, one per task.

    Mappings are plain dicts (picklable for process isolation); checks must not mutate them.
    """

    project: Project
    today: date
    options: Mapping[str, object] = field(default_factory=dict)
    """This check's options from ``[tool.mlsvs.checks.<ID>]``."""
    settings: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """Extension sections of the configuration (``model_tests``, ``datasets`` ...)."""
    capabilities: frozenset[Capability] = frozenset()
    """Capabilities the user granted for this run."""
    target_level: Level | None = None
    """The level this run verifies against (``--level`` / config), None when not set."""
    parameters: Mapping[str, object] = field(default_factory=dict)
    """The standard's parameter values in force for this run, keyed by parameter ID
    (standard default for ``target_level``, or the verification profile's assignment)."""

    def parameter(self, key: str, default: V) -> V:
        """The standard parameter ``key`` in force for this run, type-checked like ``option``."""
        return _typed("parameter", key, self.parameters, default)

    def option(self, key: str, default: V) -> V:
        """This check's option ``key``, type-checked against ``default``'s type."""
        return _typed("option", key, self.options, default)

    def section(self, name: str) -> Mapping[str, object]:
        """An extension section of the configuration, empty when absent."""
        return self.settings.get(name, {})

    def granted(self, capability: Capability) -> bool:
        """Whether the user granted ``capability`` for this run."""
        return capability in self.capabilities


@dataclass(frozen=True, slots=True, kw_only=True)
class Check(Generic[T]):
    """A declared check: metadata plus the function that yields outcomes."""

    id: str
    title: str
    requirements: tuple[str, ...]
    applies_to: type[T]
    severity: Severity
    fn: Callable[[CheckContext, T], Iterable[Outcome]]
    remediation: str = ""
    requires: tuple[str, ...] = ()
    """Optional modules the check needs; tested with ``find_spec``, never imported."""
    capabilities: frozenset[Capability] = frozenset()
    isolation: Isolation = Isolation.THREAD
    timeout_s: float = 300.0
    reads: tuple[type[Artifact], ...] | None = None
    """For project-scope checks: the artifact types whose files the check reads. A path
    discovery could not read or classify keeps the check's requirements from passing when it
    could be one of these types. None (the default, fail-closed) means any project file;
    ``()`` means the check reads no project files (configuration, endpoints only)."""

    @property
    def name(self) -> str:
        """Readable slug (the function name), secondary to the stable ``id``."""
        return getattr(self.fn, "__name__", self.id).replace("_", "-")

    @property
    def description(self) -> str:
        """First line of the function docstring."""
        doc = (self.fn.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    @property
    def doc(self) -> str:
        """The whole docstring, dedented."""
        import inspect

        return inspect.cleandoc(self.fn.__doc__ or "")

    @property
    def module(self) -> str:
        """Module that defines the check function."""
        return getattr(self.fn, "__module__", "")

    @property
    def project_scope(self) -> bool:
        """True when the check runs once per project rather than once per artifact."""
        return issubclass(self.applies_to, Project)

    def run(self, ctx: CheckContext, target: T) -> list[Outcome]:
        """Run the check and collect its outcomes (exceptions propagate to the runner)."""
        return list(self.fn(ctx, target))


def check(
    *,
    id: str,
    title: str,
    requirements: Iterable[str],
    applies_to: type[T],
    severity: Severity,
    remediation: str = "",
    requires: Iterable[str] = (),
    capabilities: Iterable[Capability] = (),
    isolation: Isolation = Isolation.THREAD,
    timeout_s: float = 300.0,
    reads: Iterable[type[Artifact]] | None = None,
) -> Callable[[Callable[[CheckContext, T], Iterable[Outcome]]], Check[T]]:
    """Declare a check. Registers nothing: the registry finds ``Check`` objects in modules."""
    if not CHECK_ID.match(id):
        raise ValueError(f"invalid check id {id!r}")

    def decorate(fn: Callable[[CheckContext, T], Iterable[Outcome]]) -> Check[T]:
        return Check(
            id=id,
            title=title,
            requirements=tuple(requirements),
            applies_to=applies_to,
            severity=severity,
            fn=fn,
            remediation=remediation,
            requires=tuple(requires),
            capabilities=frozenset(capabilities),
            isolation=isolation,
            timeout_s=timeout_s,
            reads=None if reads is None else tuple(reads),
        )

    return decorate
