"""One oracle zygote per test session (starting the real loaders costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scanner.oracle.harness import Oracle


@pytest.fixture(scope="session")
def oracle() -> Iterator[Oracle]:
    """The shared oracle; every sample still runs in its own throwaway child."""
    with Oracle() as instance:
        yield instance
