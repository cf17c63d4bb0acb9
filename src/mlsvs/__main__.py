"""``python -m mlsvs``."""

from __future__ import annotations

from mlsvs.cli.main import entry

if __name__ == "__main__":
    entry()
