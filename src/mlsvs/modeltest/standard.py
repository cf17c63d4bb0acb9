"""The standard's parameters for runtime model tests, and how a level picks the limits.

``mlsvs verify --level Lx`` (``CheckContext.target_level``) and the standard's parameter values
(``CheckContext.parameters``, keyed ``<requirement>.<name>``) decide the thresholds. The table
below holds the level defaults used when the run supplies no value; every key is listed in
``PARAMETERS.md`` with its rationale. A project's own ``[model_tests]`` thresholds can only make
a limit *stricter* at a known level, never looser (fail closed); without any level the project's
thresholds decide as before (strictest declared level).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlsvs.errors import ConfigError
from mlsvs.modeltest.thresholds import LEVELS, Direction, Threshold


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One standard parameter a model test reads."""

    key: str
    meaning: str
    unit: str
    defaults: tuple[float, float, float]
    """L1, L2, L3."""
    direction: Direction | None = None
    """Limit direction for thresholds; ``None`` for budgets (larger = stricter)."""
    config: str = ""
    """The ``[model_tests]`` key this limit corresponds to (``section.key``)."""

    def default(self, level: str) -> float:
        """The level default."""
        return self.defaults[LEVELS.index(level)]


def _p(
    key: str,
    meaning: str,
    unit: str,
    defaults: tuple[float, float, float],
    direction: Direction | None = None,
    config: str = "",
) -> Parameter:
    return Parameter(
        key=key, meaning=meaning, unit=unit, defaults=defaults, direction=direction, config=config
    )


MIN, MAX = Direction.MIN, Direction.MAX
PARAMETERS: Mapping[str, Parameter] = {
    p.key: p
    for p in (
        _p("M6.2.1.min_robust_accuracy", "black-box robust accuracy floor (worst case over "
           "Square and HopSkipJump)", "fraction", (0.4, 0.5, 0.6), MIN,
           "robustness.blackbox_robust_accuracy_min"),
        _p("M6.2.1.epsilon_linf_image", "L-inf perturbation budget for image inputs",
           "fraction of the input range", (8 / 255, 8 / 255, 8 / 255)),
        _p("M6.2.1.epsilon_l2_image", "L2 perturbation budget for image inputs",
           "fraction of the input range (L2)", (0.5, 0.5, 0.5)),
        _p("M6.2.1.queries_per_input", "score-based and decision-based query budget per input",
           "queries", (500, 1000, 5000)),
        _p("M6.2.2.min_robust_accuracy", "white-box robust accuracy floor (worst case over "
           "PGD, FGSM and the black-box attacks)", "fraction", (0.4, 0.45, 0.55), MIN,
           "robustness.robust_accuracy_min"),
        _p("M7.2.1.max_auc", "membership-inference ROC AUC ceiling (strongest attack)",
           "AUC", (0.6, 0.55, 0.52), MAX, "privacy.mia_auc_max"),
        _p("M7.2.1.max_tpr_at_1pct_fpr", "membership-inference TPR ceiling at 1 % FPR",
           "fraction", (0.05, 0.03, 0.02), MAX, "privacy.mia_tpr_at_1pct_fpr_max"),
        _p("M7.2.1.max_tpr_at_01pct_fpr", "membership-inference TPR ceiling at 0.1 % FPR",
           "fraction", (0.01, 0.005, 0.003), MAX, "privacy.mia_tpr_at_01pct_fpr_max"),
        _p("M7.2.1.max_advantage", "membership advantage ceiling (max TPR - FPR)", "fraction",
           (0.2, 0.1, 0.05), MAX, "privacy.mia_advantage_max"),
        _p("M7.2.1.min_false_positives", "expected false positives a TPR-at-FPR figure must "
           "rest on (non-members needed = this / FPR)", "count", (10, 10, 20)),
        _p("M7.2.2.max_attribute_advantage", "attribute-inference advantage ceiling over the "
           "public-features baseline", "fraction", (0.1, 0.05, 0.02), MAX,
           "privacy.attribute_advantage_max"),
        _p("M8.2.2.max_fidelity", "extraction fidelity ceiling (worst attacker query pool)",
           "fraction", (0.95, 0.9, 0.85), MAX, "extraction.extraction_fidelity_max"),
        _p("M8.2.2.query_budget", "attacker query budget at which fidelity is judged", "queries",
           (1000, 10000, 50000)),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Standard:
    """The level a run verifies and the standard's parameter values in force."""

    level: str | None = None
    values: Mapping[str, object] | None = None

    def value(self, key: str) -> float | None:
        """The parameter at this level (run value, else level default); None without a level."""
        if self.level is None:
            return None
        param = PARAMETERS[key]
        raw = (self.values or {}).get(key, param.default(self.level))
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"standard parameter {key} must be a number, got {raw!r}")
        return float(raw)

    def budget(self, key: str, declared: int) -> int:
        """The larger of the project's budget and the standard's (a budget only grows)."""
        std = self.value(key)
        return declared if std is None else max(declared, int(std))

    def threshold(self, key: str, declared: Threshold | None) -> tuple[Threshold | None, str]:
        """The limit that decides at this level, and where it came from.

        At a known level: the stricter of the standard's value and the project's own limit for
        that level. Without a level: the project's threshold as declared.
        """
        param = PARAMETERS[key]
        std = self.value(key)
        if std is None or self.level is None:
            return declared, "project" if declared else "none"
        direction = param.direction or Direction.MIN
        own = dict(declared.per_level).get(self.level) if declared else None
        if own is None:
            chosen, source = std, f"standard {key}"
        else:
            stricter = max(own, std) if direction is Direction.MIN else min(own, std)
            chosen = stricter
            source = f"standard {key}" if stricter == std and own != std else "project"
        name = param.config.rsplit(".", 1)[-1] or key
        return (
            Threshold(key=name, direction=direction, per_level=((self.level, chosen),)),
            source,
        )
