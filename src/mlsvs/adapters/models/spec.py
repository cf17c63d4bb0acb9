"""The model protocol every adapter implements, and the input spec attacks respect.

Stdlib only (numpy appears under ``TYPE_CHECKING``), so it is safe to import anywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from mlsvs.adapters.models.errors import InputShapeError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


@enum.unique
class FeatureType(enum.StrEnum):
    """How one input feature may be perturbed."""

    CONTINUOUS = "continuous"
    INTEGER = "integer"
    ONE_HOT = "one_hot"
    """Member of a one-hot group: exactly one feature of the group is 1."""
    FIXED = "fixed"
    """Never perturbed (identifiers, immutable attributes)."""


@enum.unique
class OutputKind(enum.StrEnum):
    """What the model (or API) gives back per input."""

    PROBABILITIES = "probabilities"
    LABELS = "labels"


@dataclass(frozen=True, slots=True, kw_only=True)
class InputSpec:
    """Per-sample input shape, dtype, value bounds and feature types (flattened order)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    lower: tuple[float, ...] = (0.0,)
    """Lower bound per feature, or one value for all features."""
    upper: tuple[float, ...] = (1.0,)
    integer_features: tuple[int, ...] = ()
    one_hot_groups: tuple[tuple[int, ...], ...] = ()
    fixed_features: tuple[int, ...] = ()
    scale: tuple[float, ...] = (1.0,)
    """Per-feature unit of ε (one value or one per feature): a perturbation is measured as
    ``delta / scale``, so tabular features with different ranges share one ε."""

    def __post_init__(self) -> None:
        if not self.shape or any(d <= 0 for d in self.shape):
            raise InputShapeError(f"input shape must be positive integers, got {self.shape}")
        n = self.n_features
        if any(v <= 0 for v in self.scale):
            raise InputShapeError("input scale values must be positive")
        for name, bounds in (("lower", self.lower), ("upper", self.upper), ("scale", self.scale)):
            if len(bounds) not in (1, n):
                raise InputShapeError(f"input {name} needs 1 or {n} values, got {len(bounds)}")
        used = [*self.integer_features, *self.fixed_features]
        used += [i for g in self.one_hot_groups for i in g]
        bad = sorted(i for i in used if not 0 <= i < n)
        if bad:
            raise InputShapeError(f"feature index {bad[0]} outside 0..{n - 1}")

    @property
    def n_features(self) -> int:
        """Number of scalar features per sample."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    def feature_types(self) -> tuple[FeatureType, ...]:
        """Type of every flattened feature."""
        types = [FeatureType.CONTINUOUS] * self.n_features
        for i in self.integer_features:
            types[i] = FeatureType.INTEGER
        for group in self.one_hot_groups:
            for i in group:
                types[i] = FeatureType.ONE_HOT
        for i in self.fixed_features:
            types[i] = FeatureType.FIXED
        return tuple(types)

    def check(self, x: Array) -> None:
        """Raise ``InputShapeError`` unless ``x`` is a batch of this spec's samples."""
        if tuple(x.shape[1:]) != self.shape:
            raise InputShapeError(
                f"inputs have per-sample shape {tuple(x.shape[1:])}, the model expects {self.shape}"
            )

    def describe(self) -> str:
        """Short text for report parameters."""
        return f"shape={list(self.shape)} dtype={self.dtype}"


@runtime_checkable
class ModelAdapter(Protocol):
    """What every attack needs from a model. All arrays are numpy, batch-first."""

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        ...

    @property
    def n_classes(self) -> int:
        """Number of classes of the classifier."""
        ...

    @property
    def output_kind(self) -> OutputKind:
        """Whether ``predict_proba`` returns real scores or one-hot labels."""
        ...

    @property
    def has_gradient(self) -> bool:
        """Whether ``loss_gradient`` is available (white-box)."""
        ...

    def predict_proba(self, x: Array) -> Array:
        """Class scores, shape ``(n, n_classes)``; one-hot rows for label-only models."""
        ...

    def predict(self, x: Array) -> Labels:
        """Predicted class per row."""
        ...

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient of the summed cross-entropy loss w.r.t. ``x`` (same shape as ``x``)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    """How to call the endpoint."""

    url: str
    allowed_hosts: tuple[str, ...]
    request_template: str = '{"inputs": "$INPUTS"}'
    """JSON body; the string ``"$INPUTS"`` is replaced by the batch (a list of rows)."""
    output_path: str = "outputs"
    """Dotted path to the per-row outputs, e.g. ``predictions`` or ``result.0.scores``."""
    auth_env: str | None = None
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    timeout_s: float = 10.0
    max_retries: int = 5
    backoff_s: float = 0.5
    batch_size: int = 64
