"""Helpers shared by the supply-chain commands (``bom``, ``deps``, ``sign`` ...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError
from mlsvs.model.artifact import Project
from mlsvs.model.assessment import Problem

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedProject:
    """A discovered project with its configuration sections."""

    project: Project
    settings: Mapping[str, Mapping[str, object]]
    problems: tuple[Problem, ...]

    def section(self, name: str) -> Mapping[str, object]:
        """``[tool.mlsvs.<name>]`` (empty when absent)."""
        return self.settings.get(name, {})


def load_project(root: Path, config_file: Path | None = None) -> LoadedProject:
    """Load the configuration (``config_file``, else the nearest) and discover ``root``."""
    from mlsvs.config import load_config
    from mlsvs.discovery import discover

    if not root.is_dir():
        raise UsageError(f"{root}: not a project directory")
    config = load_config(root, config_file)
    found = discover(root, config)
    return LoadedProject(project=found.project, settings=config.settings, problems=found.problems)


def default_signature(model: Path) -> Path:
    """``MODEL_DIR/model.sig`` for a directory, ``MODEL.sig`` next to a file."""
    return model / "model.sig" if model.is_dir() else model.with_name(model.name + ".sig")
