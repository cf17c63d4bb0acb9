"""Worst-case compute per query (M6.4.2): latency and peak memory of crafted inputs.

Ordinary inputs are held-out rows; crafted ones are the inputs that make data-dependent
models work hardest: the corners of the declared bounds, extreme and sub-normal magnitudes,
non-finite values, alternating patterns and seeded fuzz inside and far outside the bounds.
Each is sent alone (one query), uncached, ``repeats`` times. A crafted input the model refuses
(it raises) counts as rejected, which the standard accepts; one that makes the worker miss its
deadline is a failure (the query was not bounded).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlsvs.adapters.models.errors import ModelTestError, ModelTimeoutError
from mlsvs.model.result import Measurement
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec, ModelAdapter
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]

NAME = TestName.COMPUTE
MIN_ORDINARY = 20
MIN_BASELINE_S = 1e-3
"""The ordinary median latency is floored at 1 ms before dividing."""


def crafted_inputs(
    spec: InputSpec, n_fuzz: int, rng: np.random.Generator
) -> list[tuple[str, Array]]:
    """Named worst-case single inputs for ``spec`` (each of shape ``(1, *spec.shape)``)."""
    import numpy as np

    d = spec.n_features
    lo = np.broadcast_to(np.asarray(spec.lower, dtype=np.float64), (d,))
    hi = np.broadcast_to(np.asarray(spec.upper, dtype=np.float64), (d,))
    span = np.where(hi > lo, hi - lo, 1.0)
    big = (
        float(np.finfo(np.dtype(spec.dtype)).max)
        if np.issubdtype(np.dtype(spec.dtype), np.floating)
        else 1e9
    )
    alt = np.where(np.arange(d) % 2 == 0, lo, hi)
    rows: list[tuple[str, Array]] = [
        ("all_lower", lo), ("all_upper", hi), ("alternating_bounds", alt),
        ("zeros", np.zeros(d)), ("huge_positive", np.full(d, 1e30)),
        ("huge_negative", np.full(d, -1e30)), ("dtype_max", np.full(d, big / 2)),
        ("subnormal", np.full(d, 1e-40)), ("far_outside_bounds", hi + 1e6 * span),
        ("nan", np.full(d, np.nan)), ("infinity", np.full(d, np.inf)),
    ]  # fmt: skip
    for i in range(n_fuzz):
        if i % 2 == 0:
            rows.append((f"fuzz_in_bounds_{i}", lo + rng.random(d) * span))
        else:
            scale = 10.0 ** rng.uniform(0, 12, d)
            rows.append((f"fuzz_wide_{i}", rng.standard_normal(d) * scale))
    with np.errstate(over="ignore", invalid="ignore"):
        return [
            (name, np.asarray(r, dtype=np.float64).astype(spec.dtype).reshape((1, *spec.shape)))
            for name, r in rows
        ]


def _peak(model: ModelAdapter, *, reset: bool = False) -> int:
    """Peak RSS of the process serving the model since the last reset (then reset it)."""
    fn: Callable[[bool], int] | None = getattr(model, "peak_rss", None)
    if fn is not None:
        return int(fn(reset))
    from mlsvs.adapters.models.worker import peak_rss_bytes

    return peak_rss_bytes(reset=reset)


def _time_one(
    model: ModelAdapter, x: Array, clock: Callable[[], float]
) -> tuple[float | None, str | None]:
    start = clock()
    try:
        model.predict_proba(x)
    except ModelTimeoutError:
        raise
    except ModelTestError as exc:
        return None, exc.message
    except Exception as exc:  # noqa: BLE001 - an in-process model refusing the input
        return None, f"{type(exc).__name__}: {str(exc)[:100]}"
    return clock() - start, None


def worst_case_compute(
    model: ModelAdapter,
    test: Dataset,
    cfg: ModelTestConfig,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> TestResult:
    """p99 latency of crafted inputs / median of ordinary ones, and the peak-memory ratio."""
    import numpy as np

    sec = cfg.compute
    repeats = max(1, sec.get_int("repeats", 5))
    ordinary = test.take(
        sec.get_int("ordinary_samples", 50), np.random.default_rng([cfg.seed, 642])
    )
    model.predict_proba(ordinary.x[:1])  # warm-up: first-call allocations are not the input's
    _peak(model, reset=True)
    base_lat: list[float] = []
    for _ in range(repeats):
        for row in ordinary.x:
            t, _ = _time_one(model, row[None, ...], clock)
            if t is not None:
                base_lat.append(t)
    peak_ordinary = _peak(model, reset=True)
    crafted = crafted_inputs(
        model.input_spec, sec.get_int("fuzz_samples", 40), np.random.default_rng([cfg.seed, 643])
    )
    lat: list[float] = []
    per: dict[str, float] = {}
    rejected: list[str] = []
    name = "none"
    try:
        for name, x in crafted:
            times = []
            for _ in range(repeats):
                t, _ = _time_one(model, x, clock)
                if t is None:
                    rejected.append(name)
                    break
                times.append(t)
            if times:
                # The median over repeats: a sponge input is slow every time, a scheduler
                # hiccup only once.
                per[name] = float(np.median(times))
                lat.append(per[name])
    except ModelTimeoutError as exc:
        return TestResult(
            name=NAME, ok=False,
            message=f"a crafted input ({name}) was not answered in time: {exc.message}",
            facts=(("input", name),),
        )  # fmt: skip
    peak_crafted = _peak(model)
    if len(base_lat) < MIN_ORDINARY:
        return TestResult(
            name=NAME, ok=None, message=f"only {len(base_lat)} ordinary queries answered",
            gaps=limited("ordinary queries", f"{len(base_lat)} answered"),
        )  # fmt: skip
    median = float(np.median(base_lat))
    # Timing resolution: below a millisecond, scheduler noise on a shared host swamps the
    # ratio; a sponge input that matters costs tens of milliseconds or more.
    floor = sec.get_float("min_baseline_s", MIN_BASELINE_S)
    p99 = float(np.quantile(lat, 0.99)) if lat else 0.0
    # p99 over the crafted inputs of each input's median latency
    lat_ratio = p99 / max(median, floor)
    mem_ratio = peak_crafted / peak_ordinary if peak_ordinary else None
    t_lat, s_lat = cfg.standard.threshold(
        "M6.4.2.max_latency_ratio", sec.threshold("latency_ratio_max")
    )
    t_mem, s_mem = cfg.standard.threshold(
        "M6.4.2.max_memory_ratio", sec.threshold("memory_ratio_max")
    )
    d_lat = decide(lat_ratio, t_lat, cfg.level)
    d_mem = decide(mem_ratio if mem_ratio is not None else float("inf"), t_mem, cfg.level)
    slowest = max(per, key=per.__getitem__) if per else "none"
    ms = [
        Measurement(
            name="worst_case_latency_ratio", value=lat_ratio, threshold=d_lat.limit, unit="ratio",
            parameters=params(
                ordinary_median_s=median, crafted_p99_s=p99, ordinary_queries=len(base_lat),
                crafted_queries=len(lat), crafted_inputs=len(crafted), rejected=len(set(rejected)),
                slowest_input=slowest, repeats=repeats, seed=cfg.seed, limit_source=s_lat,
            ),
        ),
    ]  # fmt: skip
    if mem_ratio is not None:
        ms.append(Measurement(
            name="worst_case_memory_ratio", value=mem_ratio, threshold=d_mem.limit, unit="ratio",
            parameters=params(
                peak_rss_ordinary_bytes=peak_ordinary, peak_rss_crafted_bytes=peak_crafted,
                measure="peak resident memory of the model process", limit_source=s_mem,
            ),
        ))  # fmt: skip
    text = (
        f"crafted inputs: p99 latency {p99 * 1e3:.3f} ms = {lat_ratio:.2f} x the ordinary median "
        f"{median * 1e3:.3f} ms (floored at {floor * 1e3:g} ms; slowest: {slowest}); "
        + (f"peak memory ratio {mem_ratio:.2f}" if mem_ratio is not None else "peak memory unknown")
        + f"; {len(set(rejected))} of {len(crafted)} rejected"
    )
    if not lat:
        return TestResult(name=NAME, ok=True, measurements=tuple(ms),
                          message=f"{text}: the model rejects every crafted input")  # fmt: skip
    if d_lat.ok is None or d_mem.ok is None:
        why = d_lat.text if d_lat.ok is None else d_mem.text
        return TestResult(name=NAME, ok=None, measurements=tuple(ms), message=f"{text}: {why}",
                          gaps=limited("compute limit", why))  # fmt: skip
    return TestResult(
        name=NAME, ok=d_lat.ok and d_mem.ok, measurements=tuple(ms),
        message=f"{text}: latency {d_lat.text}; memory {d_mem.text}",
        facts=(("slowest_input", slowest),),
    )  # fmt: skip
