"""scikit-learn estimators as model adapters (analytic input gradient for logistic regression)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlsvs.adapters.models._common import log_of_probabilities, log_softmax, one_hot, softmax
from mlsvs.adapters.models.errors import ModelTestError
from mlsvs.adapters.models.spec import OutputKind

if TYPE_CHECKING:
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


class SklearnModel:
    """Wraps a fitted classifier; classes are the positions in ``estimator.classes_``."""

    def __init__(self, estimator: Any, spec: InputSpec) -> None:  # noqa: ANN401 - any estimator
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise ModelTestError("the scikit-learn estimator is not fitted (no classes_)")
        self._est = estimator
        self._spec = spec
        self._n_classes = len(classes)
        self._linear = _linear_weights(estimator)

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
        """Scores when the estimator has ``predict_proba`` or ``decision_function``."""
        if hasattr(self._est, "predict_proba") or hasattr(self._est, "decision_function"):
            return OutputKind.PROBABILITIES
        return OutputKind.LABELS

    @property
    def has_gradient(self) -> bool:
        """True for logistic regression (softmax of a linear function)."""
        return self._linear is not None

    def _flat(self, x: Array) -> Array:
        self._spec.check(x)
        return x.reshape(x.shape[0], -1)

    def predict_proba(self, x: Array) -> Array:
        """Class probabilities (softmax of the decision function when there is no proba)."""
        flat = self._flat(x)
        if hasattr(self._est, "predict_proba"):
            return np.asarray(self._est.predict_proba(flat), dtype=np.float64)
        if hasattr(self._est, "decision_function"):
            d = np.asarray(self._est.decision_function(flat), dtype=np.float64)
            if d.ndim == 1:
                d = np.stack([np.zeros_like(d), d], axis=1)
            return softmax(d)
        return one_hot(self.predict(x), self._n_classes)

    def predict_log_proba(self, x: Array) -> Array:
        """Log-probabilities in float64: for a logistic regression the log-softmax of its
        decision function (finite where ``predict_proba`` rounds to 0 or 1), otherwise the
        log of the returned probabilities."""
        if self._linear is not None:
            w, b = self._linear
            return log_softmax(self._flat(x).astype(np.float64) @ w.T + b)
        if not hasattr(self._est, "predict_proba") and hasattr(self._est, "decision_function"):
            d = np.asarray(self._est.decision_function(self._flat(x)), dtype=np.float64)
            if d.ndim == 1:
                d = np.stack([np.zeros_like(d), d], axis=1)
            return log_softmax(d)
        return log_of_probabilities(self.predict_proba(x))

    def predict(self, x: Array) -> Labels:
        """Position of the predicted class in ``classes_``."""
        flat = self._flat(x)
        raw = np.asarray(self._est.predict(flat))
        lookup = {c: i for i, c in enumerate(np.asarray(self._est.classes_).tolist())}
        return np.array([lookup[v] for v in raw.tolist()], dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """d(sum CE)/dx = (p - onehot(y)) @ W for softmax(W x + b)."""
        if self._linear is None:
            raise ModelTestError(
                f"{type(self._est).__name__} has no input gradient; use a black-box attack"
            )
        w, b = self._linear
        flat = self._flat(x).astype(np.float64)
        p = softmax(flat @ w.T + b)
        g = (p - one_hot(y, self._n_classes)) @ w
        return g.reshape(x.shape).astype(x.dtype)

    @property
    def has_margin_gradient(self) -> bool:
        """True for logistic regression."""
        return self._linear is not None

    def margin_gradient(self, x: Array, y: Labels) -> Array:
        """d(max_{j != y} z_j - z_y)/dx = W[j*] - W[y] for the linear logits z = W x + b."""
        if self._linear is None:
            raise ModelTestError(f"{type(self._est).__name__} has no input gradient")
        w, b = self._linear
        z = self._flat(x).astype(np.float64) @ w.T + b
        idx = np.arange(len(y))
        z[idx, y] = -np.inf
        g: Array = w[z.argmax(axis=1)] - w[np.asarray(y)]
        return g.reshape(x.shape).astype(x.dtype)


def _linear_weights(est: Any) -> tuple[Array, Array] | None:  # noqa: ANN401
    """Full softmax weights of a logistic regression (binary: class 0 has zero weights)."""
    from sklearn.linear_model import LogisticRegression

    if not isinstance(est, LogisticRegression):
        return None
    w = np.asarray(est.coef_, dtype=np.float64)
    b = np.asarray(est.intercept_, dtype=np.float64)
    if w.shape[0] == 1:
        w = np.vstack([np.zeros_like(w), w])
        b = np.concatenate([[0.0], b])
    return w, b
