"""Model inversion / data reconstruction (M7.2.5) against the scores callers receive.

An informed adversary (Balle et al., S&P 2022) knows a training record's label and every
feature but the declared ``unknown_features``; with ``query_budget`` score queries per target
it searches the unknown part that maximises the model's confidence in the record's label
(Fredrikson et al., CCS 2015): half the budget on uniform samples within the declared input
bounds, the rest on a (1 + 24) evolution strategy around the best candidate.

A target counts as reconstructed when every unknown feature is within ``tolerance`` of its
range of the true value, the nearest training record to the reconstruction is the target, and
the attacker's prior guess (the held-out median) was not already within tolerance: what the
prior gives away is not the model's leak. Labels-only models give the search nothing to climb
and are measured all the same (their success is what a caller could achieve).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.result import Measurement
from mlsvs.modeltest.data import TestDataError
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import ModelAdapter
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.float64]

NAME = TestName.RECONSTRUCTION
MIN_TARGETS = 20
BATCH = 24
DEFAULT_TOLERANCE = 0.05


def _unknown(cfg: ModelTestConfig, features: tuple[str, ...]) -> list[int]:
    from mlsvs.modeltest.config import strs

    raw = cfg.reconstruction.get("unknown_features", None)
    if raw is None:
        sensitive = cfg.data.get_str("sensitive", "")
        if sensitive not in features:
            raise TestDataError(
                "reconstruction needs model_tests.reconstruction.unknown_features (the features "
                "the attacker does not know) or a sensitive column that is a model feature"
            )
        return [features.index(sensitive)]
    names = strs(raw, "model_tests.reconstruction.unknown_features")
    bad = [n for n in names if n not in features]
    if bad or not names:
        raise TestDataError(f"reconstruction.unknown_features: {bad[0] if bad else '[]'!r} is "
                            f"not a feature of the data")  # fmt: skip
    return [features.index(n) for n in names]


def invert(
    model: ModelAdapter,
    known: Array,
    label: int,
    unknown: list[int],
    bounds: tuple[Array, Array],
    budget: int,
    rng: np.random.Generator,
) -> tuple[Array, int]:
    """The unknown features that maximise the label's score, and the queries spent."""
    import numpy as np

    from mlsvs.modeltest.evasion.blackbox import log_scores

    lo, hi = bounds
    span = hi - lo
    shape = model.input_spec.shape
    spec_dtype = model.input_spec.dtype

    def score(cands: Array) -> Array:
        rows = np.tile(known, (len(cands), 1))
        rows[:, unknown] = cands
        logp = log_scores(model, rows.reshape((len(cands), *shape)).astype(spec_dtype))
        return np.asarray(logp[:, label], dtype=np.float64)

    first = max(1, budget // 2)
    cands = lo + span * rng.uniform(0.0, 1.0, size=(first, len(unknown)))
    values = score(cands)
    best, best_v = cands[int(np.argmax(values))], float(values.max())
    used, sigma = first, 0.1
    while used + BATCH <= budget:
        step = rng.standard_normal((BATCH, len(unknown))) * sigma * span
        cands = np.clip(best + step, lo, hi)
        values = score(cands)
        used += BATCH
        if float(values.max()) > best_v:
            best, best_v = cands[int(np.argmax(values))], float(values.max())
        else:
            sigma *= 0.7
    return best, used


def reconstruction(
    model: ModelAdapter, train: Dataset, test: Dataset, cfg: ModelTestConfig
) -> TestResult:
    """Share of targeted training records the inversion reconstructs within tolerance."""
    import numpy as np

    sec = cfg.reconstruction
    flat = train.x.reshape(len(train), -1).astype(np.float64)
    unknown = _unknown(cfg, train.features)
    spec = model.input_spec
    d = spec.n_features
    lo = np.broadcast_to(np.asarray(spec.lower, dtype=np.float64), (d,))
    hi = np.broadcast_to(np.asarray(spec.upper, dtype=np.float64), (d,))
    span = np.where(hi > lo, hi - lo, 1.0)
    budget = cfg.standard.budget("M7.2.5.query_budget", sec.get_int("queries_per_target", 1000))
    tol = sec.get_float("tolerance", DEFAULT_TOLERANCE)
    if not 0 < tol < 1:
        raise TestDataError("reconstruction.tolerance must be a fraction of the range in (0, 1)")
    rng = np.random.default_rng([cfg.seed, 725])
    targets = rng.permutation(len(train))[: sec.get_int("targets", 100)]
    prior = np.median(test.x.reshape(len(test), -1).astype(np.float64), axis=0)
    norm = flat / span
    hits = prior_hits = 0
    queries = 0
    for t in targets.tolist():
        guess, used = invert(
            model, flat[t], int(train.y[t]), unknown, (lo[unknown], hi[unknown]), budget,
            np.random.default_rng([cfg.seed, 7251, t]),
        )  # fmt: skip
        queries += used
        close = bool(np.all(np.abs(guess - flat[t, unknown]) <= tol * span[unknown]))
        from_prior = bool(np.all(np.abs(prior[unknown] - flat[t, unknown]) <= tol * span[unknown]))
        prior_hits += from_prior
        row = flat[t].copy()
        row[unknown] = guess
        nearest = int(np.argmin(np.abs(norm - row / span).max(axis=1)))
        hits += close and not from_prior and nearest == t
    n = len(targets)
    rate = hits / n if n else 0.0
    lo_ci, hi_ci = wilson(hits, n) if n else (0.0, 1.0)
    threshold, source = cfg.standard.threshold(
        "M7.2.5.max_reconstruction_success", sec.threshold("reconstruction_success_max")
    )
    dec = decide(rate, threshold, cfg.level)
    names = [train.features[i] for i in unknown]
    m = Measurement(
        name="reconstruction_success", value=rate, lower=lo_ci, upper=hi_ci, confidence=0.95,
        threshold=dec.limit, unit="rate",
        parameters=params(
            targets=n, unknown_features=names, tolerance=tol, queries_per_target=budget,
            queries=queries, prior_within_tolerance=prior_hits, data=train.source,
            attack="confidence-maximising inversion (random search + evolution strategy)",
            output=str(model.output_kind), limit_source=source, seed=cfg.seed,
        ),
    )  # fmt: skip
    text = (
        f"inversion of {', '.join(names)} with {budget} queries per target reconstructed "
        f"{hits}/{n} training records within {tol:g} of the range (95 % CI {lo_ci:.3f}-"
        f"{hi_ci:.3f}; the prior alone was within tolerance for {prior_hits})"
    )
    if n < MIN_TARGETS:
        return TestResult(
            name=NAME, ok=None, measurements=(m,),
            message=f"{text}: fewer than {MIN_TARGETS} targets, cannot decide",
            gaps=limited("reconstruction targets", f"{n} targeted records"),
        )  # fmt: skip
    if dec.ok is None:
        return TestResult(name=NAME, ok=None, measurements=(m,), message=f"{text}: {dec.text}",
                          gaps=limited("reconstruction limit", dec.text))  # fmt: skip
    return TestResult(name=NAME, ok=dec.ok, measurements=(m,), message=f"{text}: {dec.text}")
