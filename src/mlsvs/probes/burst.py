"""The rate-limit burst: bounded in requests, time and concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING

from mlsvs.probes.types import Burst

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.probes.client import Client, Request
    from mlsvs.probes.settings import ProbeSettings
    from mlsvs.probes.types import Exchange


def run_burst(
    client: Client, request: Request, settings: ProbeSettings, *, clock: Callable[[], float]
) -> Burst:
    """Send up to ``settings.burst`` copies of ``request`` within ``settings.burst_window_s``.

    A few worker threads share the budget; the burst stops at the first limiting answer.
    """
    planned = settings.burst
    start = clock()
    deadline = start + settings.burst_window_s
    lock = threading.Lock()
    stop = threading.Event()
    launched = 0
    results: list[tuple[int, Exchange]] = []

    def worker() -> None:
        nonlocal launched
        while not stop.is_set():
            with lock:
                if launched >= planned or clock() >= deadline:
                    return
                launched += 1
                index = launched
            exchange = client.send(request)
            with lock:
                results.append((index, exchange))
            if limited(exchange, settings.rate_limit_statuses):
                stop.set()

    threads = [
        threading.Thread(target=worker, name=f"mlsvs-burst-{i}", daemon=True)
        for i in range(min(settings.burst_concurrency, planned))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(settings.burst_window_s + settings.timeout_s * 2)
    with lock:
        done = sorted(results, key=lambda item: item[0])
    refused = [(i, e) for i, e in done if limited(e, settings.rate_limit_statuses)]
    statuses = Counter(e.status for _, e in done if e.status is not None)
    failures = Counter(str(e.failure) for _, e in done if e.status is None)
    first = refused[0] if refused else None
    return Burst(
        planned=planned,
        sent=len(done),
        window_ms=round(settings.burst_window_s * 1000),
        elapsed_ms=round((clock() - start) * 1000),
        statuses=tuple(sorted(statuses.items())),
        failures=tuple(sorted(failures.items())),
        first_limited=first[0] if first else None,
        limited_status=first[1].status if first else None,
        retry_after=first[1].header("retry-after") if first else None,
    )


def limited(exchange: Exchange, statuses: tuple[int, ...]) -> bool:
    """A rate-limit answer: one of ``statuses``, or 503 with Retry-After."""
    if exchange.status in statuses:
        return True
    return exchange.status == 503 and exchange.header("retry-after") is not None
