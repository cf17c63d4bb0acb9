"""pytest plugin: record every check outcome by check ID while the tests run.

Load it with ``-p tests.outcome_collector --check-outcomes=PATH``; without the option it does
nothing. It wraps ``Check.run`` (direct calls from the test helpers and the engine's in-thread
runs) and the engine's per-task executor (process-isolated checks, whose ``Check.run`` happens
in a child process), and writes ``{check_id: {status: [test node ids]}}`` as JSON at the end.
``scripts/check_test_outcomes.py`` turns that into the fail/pass table per check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable

_SEEN: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
_CURRENT = {"test": ""}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--check-outcomes",
        default="",
        help="write the statuses each check returned during the tests (JSON) to this path",
    )


def _record(check_id: str, outcomes: Iterable[Any]) -> None:
    for outcome in outcomes:
        status = getattr(getattr(outcome, "status", None), "value", None)
        if status:
            _SEEN[check_id][status].add(_CURRENT["test"])


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--check-outcomes"):
        return
    from mlsvs.engine import runner
    from mlsvs.model.check import Check

    original_run = Check.run
    original_execute = runner._execute

    def run(self: Check[Any], ctx: Any, target: Any) -> list[Any]:
        outcomes = original_run(self, ctx, target)
        _record(self.id, outcomes)
        return outcomes

    def execute(task: Any, ctx: Any, timeout_s: float, clock: Any) -> list[Any]:
        outcomes = original_execute(task, ctx, timeout_s, clock)
        _record(task.loaded.check.id, outcomes)
        return outcomes

    Check.run = run  # type: ignore[method-assign]
    runner._execute = execute


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    # setup, call and teardown: outcomes of a module fixture count for the first test using it
    _CURRENT["test"] = item.nodeid
    yield
    _CURRENT["test"] = ""


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--check-outcomes")
    if not path:
        return
    out = Path(path)
    old: dict[str, dict[str, list[str]]] = {}
    if out.exists():  # several pytest runs (one per directory) add up in one file
        old = json.loads(out.read_text())
    for check_id, statuses in _SEEN.items():
        for status, tests in statuses.items():
            merged = set(old.setdefault(check_id, {}).get(status, ())) | tests
            old[check_id][status] = sorted(merged)
    out.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
