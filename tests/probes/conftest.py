from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.probes.cache import SHARED
from tests.probes import servers

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def example_ports() -> Iterator[dict[str, int]]:
    """Both example servers, started in parallel once per module."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    pytest.importorskip("sklearn")
    ports = {"insecure": servers.free_port(), "hardened": servers.free_port()}
    processes = {
        name: servers.start_example(f"{name}-classifier", port) for name, port in ports.items()
    }
    try:
        for name, process in processes.items():
            servers.wait_listening(ports[name], process)
        yield ports
    finally:
        for process in processes.values():
            servers.stop(process)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    SHARED.clear()
    yield
    SHARED.clear()
