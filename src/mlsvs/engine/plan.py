"""Turn registered checks and a project into tasks, and say why anything is skipped."""

from __future__ import annotations

import fnmatch
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.engine.registry import LoadedCheck
from mlsvs.model.artifact import Capability, Project, Target
from mlsvs.model.assessment import SkipCause

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mlsvs.config import Config
    from mlsvs.engine.registry import Registry

# Optional module -> the extra that installs it, for the skip hint.
_EXTRA_FOR = {
    "numpy": "ml",
    "scipy": "ml",
    "sklearn": "ml",
    "skops": "ml",
    "safetensors": "ml",
    "skl2onnx": "ml",
    "httpx": "ml",
    "onnx": "ml",
    "onnxruntime": "ml",
    "torch": "torch",
    "keras": "keras",
    "h5py": "keras",
    "pandas": "data",
    "pyarrow": "data",
    "model_signing": "signing",
    "OpenSSL": "signing",  # pyopenssl, which model-signing 1.1 imports without declaring it
    "phonenumbers": "data",
    "cleanlab": "cleanlab",
    "blake3": "fast-hash",
    "py7zr": "archives",
    "cronsim": "pipeline",
    "hcl2": "iac",
    "dockerfile_parse": "iac",
    "krippendorff": "labels",
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
    cause: SkipCause
    needs: tuple[str, ...] = ()
    """Capabilities to allow, or install specs of missing packages (see ``CheckRecord``)."""


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
        skip = _skip(loaded, config)
        if skip is not None:
            skips.append(skip)
            continue
        targets = _targets(loaded, project)
        if not targets:
            idle.append(loaded)
        tasks.extend(Task(loaded=loaded, target=t) for t in targets)
    return Plan(tasks=tuple(tasks), skips=tuple(skips), idle=tuple(idle))


_CAPABILITY_WORDS = {
    "model-exec": "loads and runs the model",
    "network": "connects to the network",
    "drill": "runs a state-changing drill (toggles a declared kill switch)",
}
"""What each capability lets a check do, in plain words (``--allow`` grants it)."""


def _skip(loaded: LoadedCheck, config: Config) -> Skip | None:
    check = loaded.check
    if config.select and not _matches(check.id, config.select):
        return Skip(loaded=loaded, reason="not selected (--select)", cause=SkipCause.NOT_SELECTED)
    if _matches(check.id, config.ignore):
        return Skip(loaded=loaded, reason="ignored (--ignore)", cause=SkipCause.IGNORED)
    missing = sorted(set(check.capabilities) - set(config.allow))
    if missing:
        flags = ",".join(c.value for c in missing)
        asked = (
            " (requested in the project configuration)"
            if set(missing) <= set(config.requested)
            else ""
        )
        what = " and ".join(_CAPABILITY_WORDS.get(c.value, c.value) for c in missing)
        return Skip(
            loaded=loaded,
            reason=f"it {what}, which this run did not allow{asked}: rerun with --allow {flags}",
            cause=SkipCause.CAPABILITY,
            needs=tuple(c.value for c in missing),
        )
    absent = [m for m in check.requires if importlib.util.find_spec(m.split(".")[0]) is None]
    if absent:
        return Skip(
            loaded=loaded,
            reason=f"it needs {', '.join(absent)}, which is not installed: {install_hint(absent)}",
            cause=SkipCause.MODULE,
            needs=install_specs(absent),
        )
    return None


def install_specs(modules: Iterable[str]) -> tuple[str, ...]:
    """What to install for ``modules``: one ``mlsvs[extra,...]`` naming only extras that exist,
    then each module no extra provides (a plugin's own dependency) as itself."""
    roots = sorted({m.split(".")[0] for m in modules})
    extras = sorted({_EXTRA_FOR[r] for r in roots if r in _EXTRA_FOR})
    others = [r for r in roots if r not in _EXTRA_FOR]
    return (*([f"mlsvs[{','.join(extras)}]"] if extras else []), *others)


def install_hint(modules: Iterable[str]) -> str:
    """``pip install 'mlsvs[extra,...]'`` naming only extras that exist; a module no extra
    provides (a plugin's own dependency) is named as itself."""
    return "pip install " + " ".join(
        f"'{spec}'" if spec.startswith("mlsvs[") else spec for spec in install_specs(modules)
    )


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
