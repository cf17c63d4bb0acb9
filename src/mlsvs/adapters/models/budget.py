"""A query counter with a budget and a cache, in front of any model adapter."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from mlsvs.adapters.models.errors import BudgetExhaustedError

if TYPE_CHECKING:
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec, ModelAdapter, OutputKind

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


class BudgetedModel:
    """Counts the rows sent to the model; cached rows are free; over budget raises.

    ``budget`` is the number of distinct rows the model may be asked about (``None``: no
    limit). Gradient calls count separately in ``gradient_queries`` and against the budget.
    """

    def __init__(self, inner: ModelAdapter, *, budget: int | None, cache: bool = True) -> None:
        self._inner = inner
        self.budget = budget
        self.queries = 0
        """Rows actually sent to the model (cache misses)."""
        self.cache_hits = 0
        self.gradient_queries = 0
        self._cache: dict[bytes, Array] | None = {} if cache else None
        self._log_cache: dict[bytes, Array] = {}
        self._seen: set[bytes] = set()

    @property
    def input_spec(self) -> InputSpec:
        """The wrapped model's input spec."""
        return self._inner.input_spec

    @property
    def n_classes(self) -> int:
        """The wrapped model's class count."""
        return self._inner.n_classes

    @property
    def output_kind(self) -> OutputKind:
        """The wrapped model's output kind."""
        return self._inner.output_kind

    @property
    def has_gradient(self) -> bool:
        """Whether the wrapped model has a gradient."""
        return self._inner.has_gradient

    @property
    def used(self) -> int:
        """All counted queries (predictions and gradients)."""
        return self.queries + self.gradient_queries

    def _spend(self, n: int, what: str) -> None:
        if self.budget is not None and self.used + n > self.budget:
            raise BudgetExhaustedError(
                f"query budget of {self.budget} exhausted ({self.used} used, "
                f"{n} more needed for {what}); raise the budget or lower the sample size"
            )

    def predict_proba(self, x: Array) -> Array:
        """Scores, served from the cache where the same row was asked before."""
        return self._cached(x, log=False)

    def predict_log_proba(self, x: Array) -> Array:
        """Float64 log-probabilities (from logits where the adapter has them), cached.

        A row already asked for its scores is not charged again: the attacker has it.
        """
        return self._cached(x, log=True)

    def _cached(self, x: Array, *, log: bool) -> Array:
        from mlsvs.adapters.models._common import log_proba_of

        self.input_spec.check(x)

        def ask(rows: Array) -> Array:
            return log_proba_of(self._inner, rows) if log else self._inner.predict_proba(rows)

        if self._cache is None:
            self._spend(x.shape[0], "predictions")
            self.queries += x.shape[0]
            return ask(x)
        cache = self._log_cache if log else self._cache
        keys = [_key(row) for row in x]
        unique: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            if k not in cache:
                unique.setdefault(k, i)
        fresh = [k for k in unique if k not in self._seen]
        self.cache_hits += x.shape[0] - len(fresh)
        if unique:
            self._spend(len(fresh), "predictions")
            idx = np.fromiter(unique.values(), dtype=np.int64)
            scores = ask(x[idx])
            self.queries += len(fresh)
            self._seen.update(fresh)
            for k, row in zip(unique, scores, strict=True):
                cache[k] = row
        return np.stack([cache[k] for k in keys]) if keys else self._empty()

    def _empty(self) -> Array:
        return np.zeros((0, self.n_classes))

    def predict(self, x: Array) -> Labels:
        """Arg-max of the (cached) log-probabilities."""
        return np.asarray(self.predict_log_proba(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient from the wrapped model; each row counts as one query."""
        self._spend(x.shape[0], "gradients")
        self.gradient_queries += x.shape[0]
        return self._inner.loss_gradient(x, y)

    @property
    def has_margin_gradient(self) -> bool:
        """Whether the wrapped model offers the logit-margin gradient."""
        return bool(getattr(self._inner, "has_margin_gradient", False))

    def margin_gradient(self, x: Array, y: Labels) -> Array:
        """Logit-margin gradient from the wrapped model; each row counts as one query."""
        self._spend(x.shape[0], "gradients")
        self.gradient_queries += x.shape[0]
        return self._inner.margin_gradient(x, y)  # type: ignore[attr-defined, no-any-return]


def _key(row: Array) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(row).tobytes(), digest_size=16).digest()
