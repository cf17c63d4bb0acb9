"""Starting (or joining) Ray, with a bounded retry of a local start that timed out.

Ray's raylet gives its node agents a fixed 15 s to come up (ray-project/ray#65983); on a loaded
machine the dashboard agent can need 20-25 s, and ``ray.init`` then fails although nothing is
wrong with the request. A local start is retried a few times, with a short pause; joining an
existing cluster (``--address``) is not: a wrong address does not get better by waiting. A
failed start leaves its GCS and helper processes running, so they are ended (this process's new
child processes only) before the next attempt.
"""

from __future__ import annotations

import contextlib
from typing import Any

from mlsvs.errors import UsageError

LOCAL_START_ATTEMPTS = 3
"""Tries of a local start (one for joining a cluster)."""

_TRANSIENT = (
    "timed out during startup",  # ray._private.node: the raylet or an agent was late
    "timed out waiting for",  # services: node info / the agents' port files
)


def retry_delay(attempt: int, attempts: int, message: str) -> float | None:
    """Seconds to wait before trying again after failed try ``attempt`` (0-based), or ``None``
    to give up: only start-up timeouts are retried, and never past ``attempts`` tries."""
    if attempt + 1 >= attempts:
        return None
    if not any(marker in message.lower() for marker in _TRANSIENT):
        return None
    return float(2 * (attempt + 1))  # the load that made the agent late may pass


def start_ray(ray: Any, kwargs: dict[str, Any], *, attempts: int) -> None:  # noqa: ANN401
    """``ray.init(**kwargs)``, retried as ``retry_delay`` decides; ``UsageError`` at the end."""
    import time

    where = kwargs["address"] if kwargs.get("address") != "local" else "a new local instance"
    for attempt in range(attempts):
        before = children()
        try:
            ray.init(**kwargs)
        except Exception as exc:  # noqa: BLE001 - Ray raises bare Exception on a start timeout
            end(children() - before)
            delay = retry_delay(attempt, attempts, str(exc))
            if delay is not None:
                time.sleep(delay)
                continue
            tries = f" after {attempt + 1} attempts" if attempt else ""
            raise UsageError(f"cannot start or join Ray at {where}{tries}: {exc}"[:400]) from None
        return


def children() -> set[int]:
    """Pids of this process's descendants (empty without psutil)."""
    import os

    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return set()
    return {c.pid for c in psutil.Process(os.getpid()).children(recursive=True)}


def end(pids: set[int]) -> None:
    """Terminate (then kill) the given child processes of this process."""
    if not pids:
        return
    import psutil

    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            proc.terminate()
            procs.append(proc)
    _, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
