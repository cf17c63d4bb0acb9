"""Every skipped check says why as data (cause and needs), not only as a sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.config import Config
from mlsvs.engine.plan import plan
from mlsvs.engine.registry import LoadedCheck, Registry
from mlsvs.model.artifact import Capability
from mlsvs.model.assessment import SkipCause
from mlsvs.plugin import ModelArtifact, Project, Severity, check, passed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome


@check(
    id="TST201",
    title="runs the model",
    requirements=["M6.1.1"],
    applies_to=Project,
    severity=Severity.LOW,
    capabilities=[Capability.MODEL_EXECUTION, Capability.NETWORK],
)
def needs_two_capabilities(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Pass."""
    yield passed("ran")


@check(
    id="TST202",
    title="needs packages",
    requirements=["M6.1.1"],
    applies_to=Project,
    severity=Severity.LOW,
    requires=["torch.nn", "mlsvs_no_such_plugin_dependency"],
)
def needs_modules(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Pass."""
    yield passed("ran")


@check(
    id="TST203",
    title="reads models",
    requirements=["M4.1.1"],
    applies_to=ModelArtifact,
    severity=Severity.LOW,
)
def reads_models(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Pass."""
    yield passed("ran")


def _registry() -> Registry:
    checks = (needs_two_capabilities, needs_modules, reads_models)
    return Registry(
        checks=tuple(LoadedCheck(check=c, source="test", attribute=c.id) for c in checks),
        problems=(),
    )


def test_capabilities_and_filters_are_recorded_as_causes(tmp_path: Path) -> None:
    project = Project(root=tmp_path, name="p", traits=frozenset())
    skips = {s.loaded.check.id: s for s in plan(_registry(), project, Config()).skips}
    assert skips["TST201"].cause is SkipCause.CAPABILITY
    assert skips["TST201"].needs == ("model-exec", "network")
    assert skips["TST201"].reason.endswith("rerun with --allow model-exec,network")
    assert "TST203" not in skips  # no model: idle, not skipped by the plan

    narrowed = Config(allow=frozenset(Capability), select=("TST20[12]",), ignore=("TST201",))
    skips = {s.loaded.check.id: s for s in plan(_registry(), project, narrowed).skips}
    assert skips["TST201"].cause is SkipCause.IGNORED
    assert skips["TST203"].cause is SkipCause.NOT_SELECTED


def test_missing_modules_name_what_to_install(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real(name, *a),
    )
    project = Project(root=tmp_path, name="p", traits=frozenset())
    config = Config(allow=frozenset(Capability))
    skips = {s.loaded.check.id: s for s in plan(_registry(), project, config).skips}
    assert skips["TST202"].cause is SkipCause.MODULE
    assert skips["TST202"].needs == ("mlsvs[torch]", "mlsvs_no_such_plugin_dependency")
    assert skips["TST202"].reason.endswith(
        "pip install 'mlsvs[torch]' mlsvs_no_such_plugin_dependency"
    )
