"""Optional ART (adversarial-robustness-toolbox) attacks for breadth, through any adapter.

ART only *generates* candidate inputs here: mlsvs validates them (ε-ball, bounds, feature
types) and decides robustness with the model's own predictions, so ART is never the source
of a reported number. Needs ``pip install 'mlsvs[art]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlsvs.adapters.models.errors import ModelTestError

if TYPE_CHECKING:
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]

ATTACKS = ("HopSkipJump", "BoundaryAttack", "GeoDA", "SquareAttack", "SimBA")


def art_candidates(
    model: ModelAdapter,
    x: Array,
    y: Labels,
    attack: str,
    *,
    eps: float,
    norm: str,
    max_iter: int,
    seed: int,
) -> Array:
    """Adversarial candidates from one ART black-box attack (every parameter explicit)."""
    try:
        from art.attacks import evasion
        from art.estimators.classification import BlackBoxClassifierNeuralNetwork
    except ImportError:
        raise ModelTestError("ART attacks need the art extra: pip install 'mlsvs[art]'") from None
    if attack not in ATTACKS:
        raise ModelTestError(f"unsupported ART attack {attack!r} (use {', '.join(ATTACKS)})")
    spec = model.input_spec
    lo, hi = float(min(spec.lower)), float(max(spec.upper))
    clf = BlackBoxClassifierNeuralNetwork(
        predict_fn=model.predict_proba,
        input_shape=spec.shape,
        nb_classes=model.n_classes,
        clip_values=(lo, hi),
    )
    art_norm = np.inf if norm == "linf" else 2
    np.random.seed(seed)  # ART draws from numpy's global generator
    match attack:
        case "HopSkipJump":
            atk = evasion.HopSkipJump(
                clf, norm=art_norm, max_iter=max_iter, max_eval=1000, init_eval=100,
                batch_size=64, targeted=False, verbose=False,
            )  # fmt: skip
        case "BoundaryAttack":
            atk = evasion.BoundaryAttack(
                clf, targeted=False, max_iter=max_iter, batch_size=64, verbose=False
            )
        case "GeoDA":
            atk = evasion.GeoDA(clf, norm=art_norm, max_iter=max_iter, batch_size=64, verbose=False)
        case "SquareAttack":
            atk = evasion.SquareAttack(
                clf, norm=art_norm, eps=eps, max_iter=max_iter, nb_restarts=1, batch_size=64,
                verbose=False,
            )  # fmt: skip
        case _:
            atk = evasion.SimBA(clf, attack="px", epsilon=eps, max_iter=max_iter, verbose=False)
    onehot = np.eye(model.n_classes)[y]
    out = atk.generate(x=x.astype(np.float32), y=onehot)
    return np.asarray(out, dtype=x.dtype).reshape(x.shape)
