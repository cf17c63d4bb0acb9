"""Shared numpy helpers for adapters (softmax, one-hot, batching)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    Array = npt.NDArray[np.floating]


def softmax(z: Array) -> Array:
    """Row-wise softmax, numerically stable."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: Array = e / e.sum(axis=1, keepdims=True)
    return out


def log_softmax(z: Array) -> Array:
    """Row-wise log-softmax in float64: finite where softmax would round to exactly 0 or 1."""
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    out: Array = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def log_of_probabilities(p: Array) -> Array:
    """``log p`` in float64 without clipping: a probability of exactly 0 stays ``-inf``, so
    saturated outputs remain visible to the attacks (they must not be papered over)."""
    with np.errstate(divide="ignore"):
        out: Array = np.log(np.asarray(p, dtype=np.float64))
    return out


def log_proba_of(model: object, x: Array) -> Array:
    """``model.predict_log_proba(x)`` when the adapter has it, else ``log(predict_proba)``."""
    fn = getattr(model, "predict_log_proba", None)
    if callable(fn):
        return np.asarray(fn(x), dtype=np.float64)
    return log_of_probabilities(model.predict_proba(x))  # type: ignore[attr-defined]


def representations_of(model: object, x: Array) -> tuple[str, Array]:
    """Per-row representations: penultimate activations where the adapter exposes them
    (``representations``), else the float64 log-probabilities; and which layer it was."""
    fn = getattr(model, "representations", None)
    if callable(fn):
        layer, values = fn(x)
        return str(layer), np.asarray(values, dtype=np.float64)
    return "log-probabilities", log_proba_of(model, x)


def one_hot(labels: npt.NDArray[np.integer], n_classes: int) -> Array:
    """One-hot rows as float64."""
    out = np.zeros((labels.shape[0], n_classes), dtype=np.float64)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def looks_like_probabilities(scores: Array) -> bool:
    """Whether rows are non-negative and sum to one (else they are logits)."""
    if scores.size == 0:
        return True
    return bool(np.all(scores >= -1e-6) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3))


def batched(fn: Callable[[Array], Array], x: Array, batch_size: int) -> Array:
    """Apply ``fn`` to ``x`` in batches and concatenate."""
    if x.shape[0] <= batch_size:
        return fn(x)
    parts = [fn(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    return np.concatenate(parts, axis=0)
