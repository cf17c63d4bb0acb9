"""Where a project's configuration lives (no parsing: ``mlsvs.config`` does that).

Apart from ``mlsvs.config`` so that ``mlsvs scan`` can tell there is no configuration file
without importing the configuration model (its dataclasses cost ~8 ms of every scan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_FILE = "mlsvs.toml"


def find_config(start: Path) -> Path | None:
    """The nearest ``mlsvs.toml`` or ``pyproject.toml`` with ``[tool.mlsvs]``, from ``start`` up.

    The search stops at a directory containing ``.git`` so a project never picks up the
    configuration of an unrelated parent repository.
    """
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.mlsvs" in read_config_text(pyproject):
            return pyproject
        if (directory / ".git").exists():
            return None
    return None


def read_config_text(path: Path) -> str:
    """The file's text; unreadable or non-UTF-8 files are a ``ConfigError`` naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", path=str(path)) from None
