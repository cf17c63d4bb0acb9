"""Turn registered checks and a project into tasks, and say why anything is skipped."""

from __future__ import annotations

import fnmatch
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.engine.registry import LoadedCheck
from mlsvs.model.artifact import Capability, Project, Target

if TYPE_CHECKING:
    from mlsvs.config import Config
    from mlsvs.engine.registry import Registry

# Optional module -> the extra that installs it, for the skip hint.
_EXTRA_FOR = {
    "numpy": "ml",
    "sklearn": "ml",
    "onnx": "ml",
    "onnxruntime": "ml",
    "torch": "torch",
    "keras": "keras",
    "h5py": "keras",
    "pandas": "data",
    "pyarrow": "data",
    "model_signing": "signing",
    "blake3": "fast-hash",
    "py7zr": "archives",
    "art": "art",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One check against one target."""

    loaded: LoadedCheck
    target: Target


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """A check that will not run, and why (shown in reports; its requirements stay unverified)."""

    loaded: LoadedCheck
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What the runner will execute."""

    tasks: tuple[Task, ...]
    skips: tuple[Skip, ...]
    idle: tuple[LoadedCheck, ...]
    """Checks that ran on nothing: no target of their type exists in the project."""


def plan(registry: Registry, project: Project, config: Config) -> Plan:
    """Select checks by filters, capabilities and installed modules; expand them to targets."""
    tasks: list[Task] = []
    skips: list[Skip] = []
    idle: list[LoadedCheck] = []
    for loaded in registry.checks:
        reason = _skip_reason(loaded, config)
        if reason:
            skips.append(Skip(loaded=loaded, reason=reason))
            continue
        targets = _targets(loaded, project)
        if not targets:
            idle.append(loaded)
        tasks.extend(Task(loaded=loaded, target=t) for t in targets)
    return Plan(tasks=tuple(tasks), skips=tuple(skips), idle=tuple(idle))


_CAPABILITY_WORDS = {
    "model-exec": "loads and runs the model",
    "network": "connects to the network",
}
"""What each capability lets a check do, in plain words (``--allow`` grants it)."""


def _skip_reason(loaded: LoadedCheck, config: Config) -> str:
    check = loaded.check
    if config.select and not _matches(check.id, config.select):
        return "not selected (--select)"
    if _matches(check.id, config.ignore):
        return "ignored (--ignore)"
    missing = sorted(set(check.capabilities) - set(config.allow))
    if missing:
        flags = ",".join(c.value for c in missing)
        asked = (
            " (requested in the project configuration)"
            if set(missing) <= set(config.requested)
            else ""
        )
        what = " and ".join(_CAPABILITY_WORDS.get(c.value, c.value) for c in missing)
        return f"it {what}, which this run did not allow{asked}: rerun with --allow {flags}"
    absent = [m for m in check.requires if importlib.util.find_spec(m.split(".")[0]) is None]
    if absent:
        extras = sorted({_EXTRA_FOR.get(m.split(".")[0], m) for m in absent})
        return (
            f"it needs {', '.join(absent)}, which is not installed: "
            f"pip install 'mlsvs[{','.join(extras)}]'"
        )
    return ""


def _targets(loaded: LoadedCheck, project: Project) -> tuple[Target, ...]:
    applies_to = loaded.check.applies_to
    if issubclass(applies_to, Project):
        return (project,)
    return tuple(a for a in project.artifacts if isinstance(a, applies_to))


def _matches(check_id: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(check_id, p) for p in patterns)


def capability_names() -> tuple[str, ...]:
    """Every capability a user can grant, for help texts."""
    return tuple(c.value for c in Capability)
