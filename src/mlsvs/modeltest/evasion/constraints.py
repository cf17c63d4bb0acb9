"""Keep perturbed inputs valid: norm ball, value bounds, integer and one-hot features."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.adapters.models.spec import InputSpec

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.floating]


@enum.unique
class Norm(enum.StrEnum):
    """Perturbation norm; epsilon is in input units."""

    LINF = "linf"
    L2 = "l2"


@dataclass(frozen=True, slots=True, kw_only=True)
class Constraints:
    """Flattened per-feature constraints derived from an ``InputSpec``."""

    spec: InputSpec

    @property
    def discrete(self) -> bool:
        """Whether any feature needs rounding or one-hot repair."""
        s = self.spec
        return bool(s.integer_features or s.one_hot_groups or s.fixed_features)

    def bounds(self) -> tuple[Array, Array]:
        """Lower and upper bound per flattened feature."""
        import numpy as np

        n = self.spec.n_features
        lo = np.broadcast_to(np.asarray(self.spec.lower, dtype=np.float64), (n,))
        hi = np.broadcast_to(np.asarray(self.spec.upper, dtype=np.float64), (n,))
        return lo, hi

    @property
    def scaled(self) -> bool:
        """Whether ε is measured in per-feature units other than 1."""
        return any(v != 1.0 for v in self.spec.scale)

    def scale(self) -> Array:
        """Per-feature unit of ε, flattened."""
        import numpy as np

        n = self.spec.n_features
        return np.broadcast_to(np.asarray(self.spec.scale, dtype=np.float64), (n,))

    def mask(self) -> Array:
        """1 for features an attacker may change, 0 for fixed ones."""
        import numpy as np

        m = np.ones(self.spec.n_features)
        m[list(self.spec.fixed_features)] = 0.0
        return m


def norm_of(delta: Array, norm: Norm, c: Constraints | None = None) -> Array:
    """Per-row norm of a batch of perturbations (in ε units when constraints are given)."""
    import numpy as np

    flat = delta.reshape(delta.shape[0], -1)
    if c is not None and c.scaled:
        flat = flat / c.scale()
    if norm is Norm.LINF:
        result: Array = np.abs(flat).max(axis=1) if flat.shape[1] else np.zeros(flat.shape[0])
        return result
    return np.asarray(np.linalg.norm(flat.astype(np.float64), axis=1), dtype=np.float64)


def project(x_adv: Array, x0: Array, eps: float, norm: Norm, c: Constraints) -> Array:
    """Project ``x_adv`` into the ε-ball around ``x0`` and the valid input domain."""
    import numpy as np

    shape = x_adv.shape
    flat0 = x0.reshape(shape[0], -1)
    out: Array = (x_adv - x0).reshape(shape[0], -1)  # the perturbation, updated in place
    if c.spec.fixed_features:
        out[:, list(c.spec.fixed_features)] = 0
    scale = c.scale().astype(out.dtype) if c.scaled else None
    if scale is not None:
        out /= scale
    if norm is Norm.LINF:
        np.clip(out, -eps, eps, out=out)
    else:
        n = np.sqrt((out.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
        out *= np.minimum(1.0, eps / np.maximum(n, 1e-12)).astype(out.dtype)
    if scale is not None:
        out *= scale
    out += flat0
    if len(c.spec.lower) == 1 and len(c.spec.upper) == 1:  # scalar bounds: cheapest clip
        np.clip(out, c.spec.lower[0], c.spec.upper[0], out=out)
    else:
        lo, hi = c.bounds()
        np.clip(out, lo, hi, out=out)
    if c.discrete:
        out = _repair(out, flat0, eps, norm, c)
    return out.reshape(shape).astype(x0.dtype, copy=False)


def _repair(out: Array, x0: Array, eps: float, norm: Norm, c: Constraints) -> Array:
    """Round integers toward the original and snap one-hot groups; undo what breaks ε."""
    import numpy as np

    out = out.copy()
    ints = list(c.spec.integer_features)
    if ints:
        d = out[:, ints] - x0[:, ints]
        out[:, ints] = x0[:, ints] + np.trunc(d + np.sign(d) * 1e-9)  # round toward x0
    for group in c.spec.one_hot_groups:
        g = list(group)
        snapped = np.zeros_like(out[:, g])
        snapped[np.arange(out.shape[0]), out[:, g].argmax(axis=1)] = 1
        out[:, g] = snapped
    over = norm_of(out - x0, norm, c) > eps + 1e-9
    if over.any():  # discrete snapping left the ball: keep those groups at their original
        rows = np.nonzero(over)[0]
        for group in c.spec.one_hot_groups:
            cols = np.asarray(group, dtype=np.int64)
            out[np.ix_(rows, cols)] = x0[np.ix_(rows, cols)]
    return out


def random_start(
    x0: Array, eps: float, norm: Norm, rng: np.random.Generator, c: Constraints | None = None
) -> Array:
    """Uniform point in the L∞ ball, or uniform in the L2 ball (in ε units)."""
    import numpy as np

    n, d = x0.shape[0], x0[0].size
    if norm is Norm.LINF:
        flat = rng.uniform(-eps, eps, size=(n, d))
    else:
        flat = rng.standard_normal(size=(n, d))
        flat /= np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)
        flat *= eps * rng.uniform(0, 1, size=(n, 1)) ** (1 / d)
    if c is not None and c.scaled:
        flat *= c.scale()
    out: Array = x0 + flat.reshape(x0.shape).astype(x0.dtype)
    return out
