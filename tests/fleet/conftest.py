"""Fleet fixtures: the mixed tree (built once) and the reference verdicts of ``mlsvs scan``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fleet.corpus import build_tree, verdicts

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tree(tmp_path_factory.mktemp("fleet") / "models")


@pytest.fixture(scope="session")
def reference(tree: Path) -> dict[str, tuple[str, tuple[tuple[object, ...], ...]]]:
    """What ``mlsvs scan`` says about every file of the tree (the scanner API it calls)."""
    from mlsvs.scanner.api import expand_counted, scan_targets

    targets, _ = expand_counted([str(tree)])
    return verdicts(scan_targets(targets))
