"""The system declares its target level and applicability profile explicitly."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

from mlsvs.plugin import Project, Severity, check, errored, failed, passed
from mlsvs.util.config_file import find_config

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


@check(
    id="MLC704",
    title="Target level and applicability traits are declared in the configuration",
    requirements=["M1.1.2"],
    applies_to=Project,
    severity=Severity.LOW,
    reads=(),  # reads only the configuration file, never project artifacts
    remediation="Run 'mlsvs init' and set `level` and `traits` (an empty list is a claim too: "
    "write `traits = []` only if no trait is true).",
)
def profile_declared(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Defaults are not a declaration: ``level`` and ``traits`` must be written down."""
    path = find_config(project.root)
    if path is None:
        yield failed("no mlsvs.toml or [tool.mlsvs]: the target level and traits are defaults")
        return
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        yield errored(f"cannot read {path.name}: {exc}")
        return
    table = document.get("tool", {}).get("mlsvs", {}) if path.name == "pyproject.toml" else document
    missing = [key for key in ("level", "traits") if key not in table]
    if missing:
        yield failed(f"{path.name} does not declare: {', '.join(missing)}")
    else:
        traits = ", ".join(sorted(project.traits)) or "none"
        yield passed(
            f"{path.name} declares level {table['level']} and traits: {traits}",
            facts=(("traits", traits),),
        )
