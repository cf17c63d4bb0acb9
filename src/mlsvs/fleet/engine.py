"""Where tasks run: in this process (or a local process pool), or on a Ray cluster.

Both engines take module-level functions and argument tuples and report each finished task to
the driver, which alone writes the cache. Ray retries a task whose worker or node died
(``max_retries``), so a lost node costs the time of its running tasks, never their results; a
task that still fails is reported as failed (its items are then errored, not verified).
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


@enum.unique
class EngineKind(enum.StrEnum):
    """``--engine``."""

    LOCAL = "local"
    RAY = "ray"


class Engine(Protocol):
    """Runs ``fn(*args)`` for every argument tuple."""

    def run(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_done: Callable[[int, Any], None],
        on_failed: Callable[[int, str], None],
    ) -> None:
        """Call ``on_done(index, result)`` (or ``on_failed(index, why)``) as tasks finish."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalEngine:
    """This process (``jobs == 1``) or a pool of ``jobs`` processes."""

    jobs: int = 1

    def run(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_done: Callable[[int, Any], None],
        on_failed: Callable[[int, str], None],
    ) -> None:
        if self.jobs <= 1 or len(calls) <= 1:
            for index, args in enumerate(calls):
                on_done(index, fn(*args))
            return
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}
            try:
                for future in as_completed(futures):
                    index = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool as exc:
                        on_failed(index, f"worker process died: {exc}")
                        continue
                    on_done(index, result)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


@dataclass(frozen=True, slots=True, kw_only=True)
class RayEngine:
    """Ray tasks of one CPU each on the cluster at ``address`` (a local one when empty)."""

    address: str = ""
    jobs: int = 0
    """CPUs of the local cluster started when no address is given (0: all)."""
    max_retries: int = 5
    """Re-executions of a task whose worker or node died."""
    _held: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)
    """Inside ``session``: ``held``, and ``owned`` once a ``run`` started the instance."""

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Keep a Ray instance that a ``run`` starts until the block ends, so that the runs of
        one fleet scan (hashing, then scanning) pay for one local start, not one each; nothing
        is started when no run has work."""
        self._held["held"] = True
        try:
            yield
        finally:
            del self._held["held"]
            if self._held.pop("owned", False):
                ray = _ray()
                if ray.is_initialized():
                    ray.shutdown()

    def run(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_done: Callable[[int, Any], None],
        on_failed: Callable[[int, str], None],
    ) -> None:
        if not calls:
            return
        ray = _ray()
        started = not ray.is_initialized()
        if started:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            # "local": a new instance, never a stale cluster address left in /tmp/ray.
            kwargs["address"] = self.address or "local"
            if not self.address and self.jobs:
                kwargs["num_cpus"] = self.jobs
            from mlsvs.fleet.raystart import LOCAL_START_ATTEMPTS, start_ray

            start_ray(ray, kwargs, attempts=1 if self.address else LOCAL_START_ATTEMPTS)
        try:
            self._submit(ray, fn, calls, on_done, on_failed)
        finally:
            if started and self._held.get("held"):
                self._held["owned"] = True  # the session ends it
            elif started:
                ray.shutdown()

    def _submit(
        self,
        ray: Any,  # noqa: ANN401 - the ray module
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_done: Callable[[int, Any], None],
        on_failed: Callable[[int, str], None],
    ) -> None:
        from ray.exceptions import RayError

        remote = ray.remote(
            num_cpus=1,
            max_retries=self.max_retries,
            retry_exceptions=False,
            scheduling_strategy="SPREAD",  # every node reads: object-store bandwidth adds up
        )(fn)
        # Shared arguments (the scan options) travel once through the object store.
        shared: dict[int, Any] = {}

        def put(value: Any) -> Any:  # noqa: ANN401 - any argument
            if value is None or isinstance(value, list | tuple | str | int | float):
                return value  # per-task (or small): inline with the task
            ref = shared.get(id(value))
            if ref is None:
                ref = shared[id(value)] = ray.put(value)
            return ref

        window = max(4, 2 * int(ray.cluster_resources().get("CPU", 1)))
        pending = list(enumerate(calls))
        pending.reverse()
        inflight: dict[Any, int] = {}
        while pending or inflight:
            while pending and len(inflight) < window:
                index, args = pending.pop()
                inflight[remote.remote(*(put(a) for a in args))] = index
            done, _ = ray.wait(list(inflight), num_returns=1)
            for ref in done:
                index = inflight.pop(ref)
                try:
                    result = ray.get(ref)
                except RayError as exc:
                    on_failed(index, f"task failed on Ray: {type(exc).__name__}")
                    continue
                on_done(index, result)


def _ray() -> Any:  # noqa: ANN401 - the ray module
    from mlsvs.errors import UsageError

    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'mlsvs[fleet]'") from None
    return ray


def engine_session(engine: Engine) -> contextlib.AbstractContextManager[None]:
    """``engine.session()`` where the engine has one (a Ray engine), else nothing to hold."""
    session = getattr(engine, "session", None)
    return session() if session is not None else contextlib.nullcontext()


def make_engine(kind: EngineKind, *, jobs: int, address: str) -> Engine:
    """The engine ``--engine`` names."""
    if kind is EngineKind.RAY:
        return RayEngine(address=address, jobs=jobs)
    return LocalEngine(jobs=jobs)
