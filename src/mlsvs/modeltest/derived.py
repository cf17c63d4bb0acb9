"""Derived artifacts re-evaluated with the parent's suite (M6.1.4).

Each declared derived model (quantised, pruned, distilled, converted) runs the same tests as
its parent, with the same configuration, data, seed and standard parameters; it passes only
when it meets every test of the suite, and the outcome names any test the parent met and the
derived model missed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mlsvs.modeltest.config import DERIVED_SUITE, FamilySettings
from mlsvs.modeltest.result import TestName, TestResult, limited

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mlsvs.model.result import Measurement
    from mlsvs.modeltest.config import ModelTestConfig

NAME = TestName.DERIVED
DEFAULT_SUITE = ("clean_accuracy", "corruption_robustness")


@dataclass(frozen=True, slots=True, kw_only=True)
class Compared:
    """One test's results on the parent and on a derived model."""

    test: str
    parent: TestResult
    derived: TestResult


def suite(cfg: ModelTestConfig) -> tuple[str, ...]:
    """The tests every derived model must pass (``derived.suite``, else accuracy + shift)."""
    raw = cfg.derived.get("suite", None)
    names = tuple(str(v) for v in raw) if isinstance(raw, list) else DEFAULT_SUITE
    return tuple(n for n in names if n in DERIVED_SUITE)


def derived_configs(cfg: ModelTestConfig) -> list[tuple[str, ModelTestConfig]]:
    """``(name, config)`` per derived model: the parent's config with its model replaced."""
    out = []
    listed = cfg.derived.get("models", [])
    for i, entry in enumerate(listed if isinstance(listed, list) else []):
        values = {
            k: v
            for k, v in cfg.model.values.items()
            if k not in ("factory", "trusted_model", "kind", "trusted_types")
        }
        values.update({k: v for k, v in entry.items() if k != "name"})
        name = str(entry.get("name") or entry.get("trusted_model") or f"derived-{i}")
        out.append((name, replace(cfg, model=FamilySettings(values=values))))
    return out


def evaluate(
    cfg: ModelTestConfig,
    run: Callable[[ModelTestConfig, tuple[str, ...]], Mapping[str, TestResult]],
) -> TestResult:
    """Run the suite on the parent and every derived model (``run(cfg, tests)``), compare."""
    tests = suite(cfg)
    derived = derived_configs(cfg)
    if not derived:
        return TestResult(
            name=NAME,
            ok=None,
            message="no derived artifact declared (model_tests.derived.models)",
            gaps=limited("derived models", "none declared"),
        )
    if not tests:
        return TestResult(
            name=NAME,
            ok=None,
            message="model_tests.derived.suite is empty",
            gaps=limited("derived suite", "empty"),
        )
    parent = run(cfg, tests)
    failures: list[str] = []
    unknown: list[str] = []
    ms: list[Measurement] = []
    lines: list[str] = []
    for name, dcfg in derived:
        results = run(dcfg, tests)
        for t in tests:
            p, d = parent[t], results[t]
            ms.extend(replace(m, name=f"{name}.{m.name}") for m in d.measurements[:1])
            if d.ok is False:
                met = " (the parent met it)" if p.ok else ""
                failures.append(f"{name} misses {t}{met}: {d.message[:160]}")
            elif d.ok is None:
                unknown.append(f"{name} {t}: {d.message[:160]}")
        lines.append(
            f"{name}: "
            + ", ".join(
                f"{t} {'pass' if results[t].ok else 'fail' if results[t].ok is False else 'n/v'}"
                for t in tests
            )
        )
    for t in tests:
        for m in parent[t].measurements[:1]:
            ms.insert(0, replace(m, name=f"parent.{m.name}"))
    text = "; ".join(lines)
    if failures:
        return TestResult(
            name=NAME,
            ok=False,
            measurements=tuple(ms),
            message=f"{'; '.join(failures)} [suite {', '.join(tests)}]",
        )
    if unknown:
        return TestResult(
            name=NAME,
            ok=None,
            measurements=tuple(ms),
            message=f"{text}; undecided: {'; '.join(unknown)}",
            gaps=limited("derived evaluation", unknown[0]),
        )
    return TestResult(
        name=NAME,
        ok=True,
        measurements=tuple(ms),
        message=f"every derived model passes the parent's suite ({', '.join(tests)}): {text}",
    )
