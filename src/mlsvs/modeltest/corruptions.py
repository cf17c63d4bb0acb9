"""Corruptions and natural shifts at severities 1-5, in numpy (for M6.3.1).

Images follow the CIFAR-10-C constants of Hendrycks & Dietterich (ICLR 2019) on inputs scaled
to [0, 1] by the declared bounds; tabular shifts are scaled by each feature's spread on the
evaluation data. Every function is pure: ``(x, severity, rng, context) -> corrupted x``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]


@enum.unique
class Corruption(enum.StrEnum):
    """The corruption families (tabular first, then image)."""

    GAUSSIAN_NOISE = "gaussian_noise"
    MISSING_VALUES = "missing_values"
    SCALE_SHIFT = "scale_shift"
    OFFSET_SHIFT = "offset_shift"
    FEATURE_SWAP = "feature_swap"
    SHOT_NOISE = "shot_noise"
    IMPULSE_NOISE = "impulse_noise"
    GAUSSIAN_BLUR = "gaussian_blur"
    CONTRAST = "contrast"
    BRIGHTNESS = "brightness"
    PIXELATE = "pixelate"
    JPEG_QUANTISE = "jpeg_quantise"


TABULAR = (
    Corruption.GAUSSIAN_NOISE,
    Corruption.MISSING_VALUES,
    Corruption.SCALE_SHIFT,
    Corruption.OFFSET_SHIFT,
)
IMAGE = (
    Corruption.GAUSSIAN_NOISE,
    Corruption.SHOT_NOISE,
    Corruption.IMPULSE_NOISE,
    Corruption.GAUSSIAN_BLUR,
    Corruption.CONTRAST,
    Corruption.BRIGHTNESS,
    Corruption.PIXELATE,
    Corruption.JPEG_QUANTISE,
)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Context:
    """What a corruption may use besides the batch: bounds, spread and image layout."""

    lower: Array
    upper: Array
    spread: Array
    """Per-feature standard deviation on the clean evaluation data (flattened order)."""
    centre: Array
    """Per-feature median on the clean evaluation data (the imputation value)."""
    image: bool
    layout: tuple[int, int, int, bool]
    """(channels, height, width, channels_last) for images."""
    movable: Array
    """Boolean mask of features that may change (not fixed, not one-hot)."""


def context(x: Array, spec: InputSpec, *, image: bool) -> Context:
    """Build the context from the clean batch ``x`` (shape ``(n, *spec.shape)``)."""
    import numpy as np

    from mlsvs.adapters.models.spec import FeatureType

    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    d = spec.n_features
    lower = np.broadcast_to(np.asarray(spec.lower, dtype=np.float64), (d,)).copy()
    upper = np.broadcast_to(np.asarray(spec.upper, dtype=np.float64), (d,)).copy()
    types = spec.feature_types()
    movable = np.array([t in (FeatureType.CONTINUOUS, FeatureType.INTEGER) for t in types])
    return Context(
        lower=lower, upper=upper, spread=flat.std(axis=0), centre=np.median(flat, axis=0),
        image=image, layout=_layout(spec.shape), movable=movable,
    )  # fmt: skip


def _layout(shape: tuple[int, ...]) -> tuple[int, int, int, bool]:
    if len(shape) == 2:
        return (1, shape[0], shape[1], False)
    if len(shape) == 3:
        if shape[0] in (1, 3, 4) and shape[2] not in (1, 3, 4):
            return (shape[0], shape[1], shape[2], False)
        if shape[2] in (1, 3, 4):
            return (shape[2], shape[0], shape[1], True)
        return (shape[0], shape[1], shape[2], False)
    return (1, 1, 1, False)


def is_image(spec: InputSpec) -> bool:
    """Inputs of rank 2 or 3 with at least 8x8 pixels are images."""
    _, h, w, _ = _layout(spec.shape)
    return len(spec.shape) in (2, 3) and h >= 8 and w >= 8


def apply(
    kind: Corruption, x: Array, severity: int, rng: np.random.Generator, ctx: Context
) -> Array:
    """``x`` corrupted by ``kind`` at ``severity`` (1-5), clipped to the declared bounds."""
    import numpy as np

    if not 1 <= severity <= 5:
        raise ValueError(f"severity must be 1-5, got {severity}")
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    if ctx.image:
        unit = _to_unit(flat, ctx)
        out = _IMAGE_FNS[kind](_to_images(unit, ctx), severity - 1, rng)
        result = _from_unit(_from_images(out, ctx), ctx)
    else:
        result = _TABULAR_FNS[kind](flat, severity - 1, rng, ctx)
        result = np.where(ctx.movable, result, flat)
    result = np.clip(result, ctx.lower, ctx.upper)
    return result.reshape(x.shape).astype(x.dtype)


# --- tabular -----------------------------------------------------------------------------

_NOISE_STD = (0.1, 0.2, 0.3, 0.45, 0.6)
"""Gaussian noise in units of each feature's standard deviation."""
_MISSING = (0.05, 0.1, 0.2, 0.3, 0.45)
"""Share of entries lost and imputed with the column median."""
_SCALE = (0.05, 0.1, 0.2, 0.3, 0.45)
"""Relative change of scale per feature (unit or calibration drift)."""
_OFFSET = (0.1, 0.25, 0.5, 0.75, 1.0)
"""Covariate shift of each feature's mean, in standard deviations."""
_SWAP = (0.02, 0.05, 0.1, 0.15, 0.2)
"""Share of rows whose values of two random features are swapped (column mix-ups)."""


def _t_noise(x: Array, s: int, rng: np.random.Generator, ctx: Context) -> Array:
    return x + rng.standard_normal(x.shape) * ctx.spread * _NOISE_STD[s]


def _t_missing(x: Array, s: int, rng: np.random.Generator, ctx: Context) -> Array:
    import numpy as np

    lost = rng.random(x.shape) < _MISSING[s]
    return np.where(lost, ctx.centre, x)


def _t_scale(x: Array, s: int, rng: np.random.Generator, ctx: Context) -> Array:
    sign = rng.choice((-1.0, 1.0), size=x.shape[1])
    out: Array = ctx.centre + (x - ctx.centre) * (1 + sign * _SCALE[s])
    return out


def _t_offset(x: Array, s: int, rng: np.random.Generator, ctx: Context) -> Array:
    sign = rng.choice((-1.0, 1.0), size=x.shape[1])
    out: Array = x + sign * ctx.spread * _OFFSET[s]
    return out


def _t_swap(x: Array, s: int, rng: np.random.Generator, ctx: Context) -> Array:
    import numpy as np

    out = x.copy()
    cols = np.flatnonzero(ctx.movable)
    if len(cols) < 2:
        return out
    rows = np.flatnonzero(rng.random(x.shape[0]) < _SWAP[s])
    for r in rows:
        a, b = rng.choice(cols, size=2, replace=False)
        out[r, a], out[r, b] = x[r, b], x[r, a]
    return out


_TABULAR_FNS: dict[Corruption, Callable[[Array, int, np.random.Generator, Context], Array]] = {
    Corruption.GAUSSIAN_NOISE: _t_noise,
    Corruption.MISSING_VALUES: _t_missing,
    Corruption.SCALE_SHIFT: _t_scale,
    Corruption.OFFSET_SHIFT: _t_offset,
    Corruption.FEATURE_SWAP: _t_swap,
}


# --- images (batch of (n, C, H, W) in [0, 1]) --------------------------------------------


def _to_unit(flat: Array, ctx: Context) -> Array:
    import numpy as np

    span = np.where(ctx.upper > ctx.lower, ctx.upper - ctx.lower, 1.0)
    return (flat - ctx.lower) / span


def _from_unit(unit: Array, ctx: Context) -> Array:
    import numpy as np

    span = np.where(ctx.upper > ctx.lower, ctx.upper - ctx.lower, 1.0)
    return unit * span + ctx.lower


def _to_images(flat: Array, ctx: Context) -> Array:
    c, h, w, last = ctx.layout
    if last:
        return flat.reshape(-1, h, w, c).transpose(0, 3, 1, 2)
    return flat.reshape(-1, c, h, w)


def _from_images(img: Array, ctx: Context) -> Array:
    import numpy as np

    last = ctx.layout[3]
    out = img.transpose(0, 2, 3, 1) if last else img
    return np.clip(out, 0.0, 1.0).reshape(img.shape[0], -1)


def _i_gauss(x: Array, s: int, rng: np.random.Generator) -> Array:
    return x + rng.standard_normal(x.shape) * (0.04, 0.06, 0.08, 0.09, 0.10)[s]


def _i_shot(x: Array, s: int, rng: np.random.Generator) -> Array:
    import numpy as np

    lam = (500.0, 250.0, 100.0, 75.0, 50.0)[s]
    return rng.poisson(np.clip(x, 0, 1) * lam) / lam


def _i_impulse(x: Array, s: int, rng: np.random.Generator) -> Array:
    import numpy as np

    amount = (0.01, 0.02, 0.03, 0.05, 0.07)[s]
    u = rng.random(x.shape)
    out = np.where(u < amount / 2, 0.0, x)
    return np.where(u > 1 - amount / 2, 1.0, out)


def _i_blur(x: Array, s: int, rng: np.random.Generator) -> Array:
    import numpy as np

    sigma = (0.4, 0.6, 0.7, 0.8, 1.0)[s]
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(t**2) / (2 * sigma**2))
    k /= k.sum()
    out = x
    for axis in (2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect" if out.shape[axis] > radius else "edge")
        size = out.shape[axis]
        acc = np.zeros_like(out)
        for i, weight in enumerate(k):
            acc += weight * np.take(padded, np.arange(i, i + size), axis=axis)
        out = acc
    return out


def _i_contrast(x: Array, s: int, rng: np.random.Generator) -> Array:
    c = (0.75, 0.5, 0.4, 0.3, 0.15)[s]
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    out: Array = (x - mean) * c + mean
    return out


def _i_brightness(x: Array, s: int, rng: np.random.Generator) -> Array:
    return x + (0.05, 0.1, 0.15, 0.2, 0.3)[s]


def _i_pixelate(x: Array, s: int, rng: np.random.Generator) -> Array:
    import numpy as np

    factor = (0.95, 0.9, 0.85, 0.75, 0.65)[s]
    _, _, h, w = x.shape
    sh, sw = max(1, int(h * factor)), max(1, int(w * factor))
    rows = (np.arange(sh) * h / sh).astype(int)
    cols = (np.arange(sw) * w / sw).astype(int)
    small = x[:, :, rows][:, :, :, cols]
    up_r = np.minimum((np.arange(h) * sh / h).astype(int), sh - 1)
    up_c = np.minimum((np.arange(w) * sw / w).astype(int), sw - 1)
    return small[:, :, up_r][:, :, :, up_c]


_JPEG_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
"""The JPEG standard's luminance quantisation table (ITU-T T.81, Annex K)."""


def _i_jpeg(x: Array, s: int, rng: np.random.Generator) -> Array:
    """8x8 block DCT quantised with the JPEG table at quality 80/65/58/50/40 (CIFAR-10-C)."""
    import numpy as np
    from scipy.fft import dctn, idctn

    quality = (80, 65, 58, 50, 40)[s]
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    table = np.clip(
        np.floor((np.asarray(_JPEG_LUMA, dtype=np.float64) * scale + 50) / 100), 1, None
    )
    q = table.reshape(8, 8)
    n, c, h, w = x.shape
    ph, pw = (-h) % 8, (-w) % 8
    img = np.pad(x * 255.0 - 128.0, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="edge")
    hh, ww = img.shape[2] // 8, img.shape[3] // 8
    blocks = img.reshape(n, c, hh, 8, ww, 8).transpose(0, 1, 2, 4, 3, 5)
    coeffs = dctn(blocks, axes=(-2, -1), norm="ortho")
    restored = idctn(np.round(coeffs / q) * q, axes=(-2, -1), norm="ortho")
    out = restored.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, hh * 8, ww * 8)
    result: Array = (out[:, :, :h, :w] + 128.0) / 255.0
    return result


_IMAGE_FNS: dict[Corruption, Callable[[Array, int, np.random.Generator], Array]] = {
    Corruption.GAUSSIAN_NOISE: _i_gauss,
    Corruption.SHOT_NOISE: _i_shot,
    Corruption.IMPULSE_NOISE: _i_impulse,
    Corruption.GAUSSIAN_BLUR: _i_blur,
    Corruption.CONTRAST: _i_contrast,
    Corruption.BRIGHTNESS: _i_brightness,
    Corruption.PIXELATE: _i_pixelate,
    Corruption.JPEG_QUANTISE: _i_jpeg,
}


def supported(kind: Corruption, *, image: bool) -> bool:
    """Whether ``kind`` is defined for the modality."""
    return kind in (_IMAGE_FNS if image else _TABULAR_FNS)
