"""Load and serve the model under test in a separate, spawned process.

The parent never imports or runs model code: it sends ``(operation, handle, arguments)`` over a
``multiprocessing`` pipe and gets ``("ok", value)`` or ``("err", error class, message, gap)`` back.
Handle 0 is the declared model; ``fit`` (a user training recipe, for LiRA and canaries)
returns new handles.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from typing import TYPE_CHECKING, Any

from mlsvs.adapters.models import errors
from mlsvs.adapters.models.spec import InputSpec, OutputKind

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from types import TracebackType

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.load import ModelSource
    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


def _serve(conn: Connection, source: ModelSource, recipe: str | None) -> None:
    """Worker main loop (runs in the child process)."""
    from mlsvs.adapters.models._common import log_proba_of, representations_of
    from mlsvs.adapters.models.load import build, resolve, wrap

    models: dict[int, ModelAdapter] = {}
    try:
        models[0] = build(source)
        conn.send(("ok", _meta(models[0])))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent
        conn.send(("err", _error_name(exc), _message(exc), _gap(exc)))
        return
    while True:
        try:
            op, handle, args = conn.recv()
        except EOFError:
            return
        if op == "close":
            return
        try:
            if op == "fit":
                if recipe is None:
                    raise errors.ModelLoadError("no training recipe declared")
                x, y, seed = args
                new = wrap(resolve(source.root, recipe)(x, y, seed), source.spec, source.n_classes)
                models[len(models)] = new
                conn.send(("ok", len(models) - 1))
            elif op == "peak_rss":
                conn.send(("ok", peak_rss_bytes(reset=bool(args and args[0]))))
            elif op == "predict_log_proba":
                conn.send(("ok", log_proba_of(models[handle], *args)))
            elif op == "representations":
                conn.send(("ok", representations_of(models[handle], *args)))
            else:
                conn.send(("ok", getattr(models[handle], op)(*args)))
        except Exception as exc:  # noqa: BLE001
            conn.send(("err", _error_name(exc), _message(exc), _gap(exc)))


def peak_rss_bytes(*, reset: bool = False) -> int:
    """Peak resident memory of this process in bytes since start or the last ``reset``.

    Linux: ``VmHWM`` of ``/proc/self/status`` (per address space, so a spawned worker does not
    inherit its parent's peak the way ``ru_maxrss`` does across exec); ``reset`` then clears
    it (``/proc/self/clear_refs``) so the next reading covers only what follows. Elsewhere
    ``ru_maxrss`` (never reset).
    """
    import resource
    import sys
    from pathlib import Path

    status = Path("/proc/self/status")
    try:
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        peak = int(line.split()[1]) * 1024
    except (OSError, StopIteration, ValueError, IndexError):
        ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(ru if sys.platform == "darwin" else ru * 1024)
    if reset:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
    return peak


def _meta(model: ModelAdapter) -> tuple[InputSpec, int, str, bool, bool]:
    margin = bool(getattr(model, "has_margin_gradient", False))
    return (model.input_spec, model.n_classes, model.output_kind.value, model.has_gradient, margin)


def _gap(exc: BaseException) -> tuple[str, str, str] | None:
    """The error's coverage gap as plain strings (item, reason, detail), if it has one."""
    gap = getattr(exc, "gap", None) if isinstance(exc, errors.ModelTestError) else None
    return None if gap is None else (gap.item, gap.reason.value, gap.detail)


def _error_name(exc: BaseException) -> str:
    return type(exc).__name__ if isinstance(exc, errors.ModelTestError) else "ModelTestError"


def _message(exc: BaseException) -> str:
    if isinstance(exc, errors.ModelTestError):
        return exc.message
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"model raised {type(exc).__name__}: {text}"


class ModelWorker:
    """A spawned process that owns the model; use as a context manager."""

    def __init__(
        self, source: ModelSource, *, recipe: str | None = None, timeout_s: float = 300.0
    ) -> None:
        self._source = source
        self._recipe = recipe
        self._timeout = timeout_s
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, source, recipe), daemon=True)
        self._proc.start()
        child.close()
        try:
            spec, n_classes, kind, grad, margin = self._receive()
        except BaseException:
            self.close()
            raise
        self.model = RemoteModel(self, 0, spec, n_classes, OutputKind(kind), grad, margin)

    def __enter__(self) -> ModelWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker process."""
        if self._proc.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(("close", 0, ()))
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._conn.close()

    def call(self, op: str, handle: int, *args: object) -> Any:  # noqa: ANN401 - pipe payload
        """Run one operation in the worker."""
        try:
            self._conn.send((op, handle, args))
        except (BrokenPipeError, OSError):
            raise errors.ModelTestError("the model worker process is gone") from None
        return self._receive()

    def fit(self, x: Array, y: Labels, seed: int) -> RemoteModel:
        """Train a fresh model with the user's recipe (in the worker) and return it."""
        handle = int(self.call("fit", 0, x, y, seed))
        m = self.model
        return RemoteModel(
            self, handle, m.input_spec, m.n_classes, m.output_kind, m.has_gradient,
            m.has_margin_gradient,
        )  # fmt: skip

    def _receive(self) -> Any:  # noqa: ANN401 - pipe payload
        if not self._conn.poll(self._timeout):
            self._proc.kill()
            raise errors.ModelTimeoutError(f"the model did not answer within {self._timeout:.0f} s")
        try:
            reply = self._conn.recv()
        except EOFError:
            code = self._proc.exitcode
            raise errors.ModelTestError(f"the model worker died (exit code {code})") from None
        if reply[0] == "ok":
            return reply[1]
        _, name, message, gap = reply
        cls = getattr(errors, name, errors.ModelTestError)
        if gap is None:
            raise cls(message)
        from mlsvs.model.coverage import Gap, GapReason

        item, reason, detail = gap
        raise cls(message, gap=Gap(item=item, reason=GapReason(reason), detail=detail))


class RemoteModel:
    """Model adapter proxy: every call runs in the worker process."""

    def __init__(
        self,
        worker: ModelWorker,
        handle: int,
        spec: InputSpec,
        n_classes: int,
        kind: OutputKind,
        grad: bool,
        margin: bool = False,
    ) -> None:
        self._w = worker
        self._margin = margin
        self._h = handle
        self._spec = spec
        self._n = n_classes
        self._kind = kind
        self._grad = grad

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        return self._spec

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return self._n

    @property
    def output_kind(self) -> OutputKind:
        """Output kind reported by the worker at load time."""
        return self._kind

    @property
    def has_gradient(self) -> bool:
        """Whether the served model has a gradient."""
        return self._grad

    def predict_proba(self, x: Array) -> Array:
        """Scores from the worker."""
        self._spec.check(x)
        out: Array = self._w.call("predict_proba", self._h, x)
        return out

    def predict_log_proba(self, x: Array) -> Array:
        """Float64 log-probabilities from the worker (from logits where the model has them)."""
        self._spec.check(x)
        out: Array = self._w.call("predict_log_proba", self._h, x)
        return out

    def representations(self, x: Array) -> tuple[str, Array]:
        """``_common.representations_of`` run in the worker: (layer, per-row array)."""
        self._spec.check(x)
        layer, values = self._w.call("representations", self._h, x)
        return str(layer), values

    def predict(self, x: Array) -> Labels:
        """Labels from the worker."""
        self._spec.check(x)
        out: Labels = self._w.call("predict", self._h, x)
        return out

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient from the worker."""
        self._spec.check(x)
        out: Array = self._w.call("loss_gradient", self._h, x, y)
        return out

    @property
    def has_margin_gradient(self) -> bool:
        """Whether the served model offers the logit-margin gradient."""
        return self._margin

    def peak_rss(self, reset: bool = False) -> int:
        """Peak resident memory of the worker process in bytes (``reset``: start anew)."""
        return int(self._w.call("peak_rss", self._h, reset))

    def margin_gradient(self, x: Array, y: Labels) -> Array:
        """Logit-margin gradient from the worker."""
        self._spec.check(x)
        out: Array = self._w.call("margin_gradient", self._h, x, y)
        return out


class LocalWorker:
    """Serves the model in the current process.

    Used only when this process is itself a daemonic, spawned isolation process (the engine's
    ``Isolation.PROCESS`` check runner): such processes may not start children, and the
    model is then already separated from the main ``mlsvs`` process.
    """

    def __init__(self, source: ModelSource, *, recipe: str | None = None) -> None:
        from mlsvs.adapters.models.load import build

        self._source = source
        self._recipe = recipe
        self.model: ModelAdapter = build(source)

    def __enter__(self) -> LocalWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to stop."""

    def fit(self, x: Array, y: Labels, seed: int) -> ModelAdapter:
        """Train a fresh model with the user's recipe."""
        from mlsvs.adapters.models.load import resolve, wrap

        if self._recipe is None:
            raise errors.ModelLoadError("no training recipe declared")
        s = self._source
        return wrap(resolve(s.root, self._recipe)(x, y, seed), s.spec, s.n_classes)


def open_worker(
    source: ModelSource, *, recipe: str | None = None, timeout_s: float = 300.0
) -> ModelWorker | LocalWorker:
    """A spawned model worker, or the current process when it is a daemonic isolation child."""
    if multiprocessing.current_process().daemon:
        return LocalWorker(source, recipe=recipe)
    return ModelWorker(source, recipe=recipe, timeout_s=timeout_s)
