"""Any Python callable (numpy in, scores or labels out) as a model adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlsvs.adapters.models._common import (
    log_of_probabilities,
    log_softmax,
    looks_like_probabilities,
    one_hot,
    softmax,
)
from mlsvs.adapters.models.errors import ModelTestError
from mlsvs.adapters.models.spec import OutputKind

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


class CallableModel:
    """``fn(x) -> (n, C) scores/logits`` or ``(n,)`` labels; optional ``grad_fn(x, y)``."""

    def __init__(
        self,
        fn: Callable[[Array], object],
        spec: InputSpec,
        n_classes: int,
        *,
        grad_fn: Callable[[Array, Labels], Array] | None = None,
    ) -> None:
        self._fn = fn
        self._spec = spec
        self._n_classes = n_classes
        self._grad = grad_fn
        self._kind: OutputKind | None = None

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        return self._spec

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return self._n_classes

    @property
    def output_kind(self) -> OutputKind:
        """Detected on first call: labels when the function returns one value per row."""
        if self._kind is None:
            lo = np.asarray(self._spec.lower, dtype=np.float64)
            hi = np.asarray(self._spec.upper, dtype=np.float64)
            probe = np.broadcast_to((lo + hi) / 2, (self._spec.n_features,))
            self.predict_proba(probe.reshape((1, *self._spec.shape)).astype(self._spec.dtype))
        if self._kind is None:  # pragma: no cover - predict_proba always sets it
            raise ModelTestError("could not determine the output kind")
        return self._kind

    @property
    def has_gradient(self) -> bool:
        """True when a gradient function was given."""
        return self._grad is not None

    def _raw(self, x: Array) -> tuple[Array, bool]:
        """Scores as float64 and whether they are logits (one-hot rows for labels)."""
        self._spec.check(x)
        out = np.asarray(self._fn(x))
        if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
            self._kind = OutputKind.LABELS
            return one_hot(out.reshape(-1).astype(np.int64), self._n_classes), False
        if out.ndim != 2 or out.shape != (x.shape[0], self._n_classes):
            raise ModelTestError(
                f"model returned shape {out.shape}, expected ({x.shape[0]}, {self._n_classes})"
            )
        self._kind = OutputKind.PROBABILITIES
        scores = out.astype(np.float64)
        return scores, not looks_like_probabilities(scores)

    def predict_proba(self, x: Array) -> Array:
        """Scores (softmax applied to logits; one-hot rows for labels)."""
        scores, logits = self._raw(x)
        return softmax(scores) if logits else scores

    def predict_log_proba(self, x: Array) -> Array:
        """Log-probabilities: log-softmax of logits, else the log of the returned scores."""
        scores, logits = self._raw(x)
        return log_softmax(scores) if logits else log_of_probabilities(scores)

    def predict(self, x: Array) -> Labels:
        """Arg-max class."""
        return np.asarray(self.predict_proba(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """The user's gradient function."""
        if self._grad is None:
            raise ModelTestError("this callable model has no gradient function")
        self._spec.check(x)
        return np.asarray(self._grad(x, y), dtype=x.dtype)
