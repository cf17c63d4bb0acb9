"""Suite-wide: how pytest-xdist (``-n N --dist loadgroup``, as in .ci/run) shares the tests out.

Each test file runs on one worker, so module fixtures are built once. Directories whose session
fixtures are expensive and shared across their files (the procurement suite's hardened-example
verify, the fleet suite's Ray cluster) go to one worker as a whole, so those fixtures are not
rebuilt per worker and two Ray clusters never start at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_WHOLE_DIRECTORIES = frozenset({"procurement", "fleet"})
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        relative = Path(str(item.path)).resolve().relative_to(_TESTS)
        group = relative.parts[0] if relative.parts[0] in _WHOLE_DIRECTORIES else str(relative)
        item.add_marker(pytest.mark.xdist_group(group))
