"""The standard's parameters for runtime model tests, and how the verified level applies them.

``mlsvs verify --level Lx`` (``CheckContext.target_level``) and the standard's parameter values
(``CheckContext.parameters``, keyed ``<requirement>.<name>``, defined by the catalog) decide the
budgets and limits. The table below holds the level defaults used when a run supplies no value
(same values as the MLSVS 1.1.0 catalog; ``None``: the requirement is not in that level).

At a known level the standard decides: ε and norm are the standard's (ε is a fraction of the
input range), budgets (queries, samples, PGD steps, restarts, reference models) are raised to
the standard's and never lowered, and the verdict uses the standard's limits; the project's own
``[model_tests]`` thresholds are not consulted. Without any level the project's thresholds decide
as declared (strictest declared level) and nothing from the standard applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlsvs.errors import ConfigError
from mlsvs.modeltest.thresholds import LEVELS, Direction, Threshold

Value = float | str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TestParameter:
    """One standard parameter a model test reads."""

    key: str
    meaning: str
    defaults: tuple[Value, Value, Value]
    """L1, L2, L3 (None: not defined at that level)."""
    direction: Direction | None = None
    """For limits: whether the measured value must stay above (floor) or below (ceiling)."""

    def default(self, level: str) -> Value:
        """The default in force at ``level``: the level's own value, else (a requirement that
        enters at a higher level) the value of its entry level — as the engine resolves the
        catalog's parameters, so a requirement is judged by one bar whatever the target."""
        for value in self.defaults[LEVELS.index(level) :]:
            if value is not None:
                return value
        return None


MIN, MAX = Direction.MIN, Direction.MAX
_E1, _E4, _E8 = 1 / 255, 4 / 255, 8 / 255
PARAMETERS: Mapping[str, TestParameter] = {
    p.key: p
    for p in (
        TestParameter(
            key="M6.2.1.norm", meaning="black-box perturbation norm", defaults=("linf",) * 3
        ),
        TestParameter(
            key="M6.2.1.epsilon",
            meaning="black-box budget, fraction of the input range",
            defaults=(_E1, _E4, _E8),
        ),
        TestParameter(
            key="M6.2.1.query_budget",
            meaning="black-box queries per input",
            defaults=(1000, 5000, 10000),
        ),
        TestParameter(
            key="M6.2.1.min_robust_accuracy_ratio",
            direction=MIN,
            meaning="black-box worst-case robust accuracy / clean accuracy",
            defaults=(0.5, 0.5, 0.6),
        ),
        TestParameter(
            key="M6.2.1.min_samples", meaning="inputs attacked", defaults=(200, 500, 1000)
        ),
        TestParameter(
            key="M6.2.2.norm", meaning="white-box perturbation norm", defaults=("linf",) * 3
        ),
        TestParameter(
            key="M6.2.2.epsilon",
            meaning="white-box budget, fraction of the input range",
            defaults=(_E1, _E4, _E8),
        ),
        TestParameter(key="M6.2.2.pgd_steps", meaning="PGD steps", defaults=(10, 50, 100)),
        TestParameter(key="M6.2.2.restarts", meaning="PGD restarts", defaults=(1, 5, 10)),
        TestParameter(
            key="M6.2.2.min_robust_accuracy_ratio",
            direction=MIN,
            meaning="white-box worst-case robust accuracy / clean accuracy",
            defaults=(0.5, 0.5, 0.6),
        ),
        TestParameter(
            key="M6.2.2.max_accuracy_unbounded",
            direction=MAX,
            meaning="accuracy allowed at 16 x epsilon (sanity: the attack works)",
            defaults=(0.1, 0.05, 0.05),
        ),
        TestParameter(
            key="M6.2.2.min_samples", meaning="inputs attacked", defaults=(200, 500, 1000)
        ),
        TestParameter(
            key="M7.2.1.low_fpr",
            meaning="false-positive rate the TPR is read at",
            defaults=(None, 0.001, 0.001),
        ),
        TestParameter(
            key="M7.2.1.max_tpr_at_low_fpr",
            direction=MAX,
            meaning="TPR of the strongest attack at low_fpr",
            defaults=(None, 0.01, 0.002),
        ),
        TestParameter(
            key="M7.2.1.max_advantage",
            direction=MAX,
            meaning="membership advantage (max TPR - FPR)",
            defaults=(None, 0.1, 0.05),
        ),
        TestParameter(
            key="M7.2.1.reference_models",
            meaning="shadow / reference models for LiRA",
            defaults=(None, 4, 16),
        ),
        TestParameter(
            key="M7.2.1.min_false_positives",
            meaning="expected false positives a TPR-at-FPR figure must rest on",
            defaults=(10, 10, 20),
        ),
        TestParameter(
            key="M7.2.2.max_attribute_advantage",
            direction=MAX,
            meaning="attribute-inference advantage over the public-features baseline",
            defaults=(None, 0.05, 0.02),
        ),
        TestParameter(
            key="M8.2.2.query_budget",
            meaning="attacker queries at which fidelity is judged",
            defaults=(None, 10000, 50000),
        ),
        TestParameter(
            key="M8.2.2.max_fidelity",
            direction=MAX,
            meaning="extraction fidelity, worst attacker pool",
            defaults=(None, 0.9, 0.8),
        ),
        TestParameter(
            key="M7.1.3.max_expected_calibration_error",
            direction=MAX,
            meaning="expected calibration error (15 bins) on held-out data",
            defaults=(None, 0.05, 0.03),
        ),
        TestParameter(
            key="M7.1.3.max_confidence_gap",
            direction=MAX,
            meaning="mean confidence on training minus held-out samples",
            defaults=(None, 0.05, 0.02),
        ),
        TestParameter(
            key="M6.3.1.severity", meaning="corruption severity (1-5)", defaults=(None, 3, 5)
        ),
        TestParameter(
            key="M6.3.1.min_corruption_accuracy_ratio",
            direction=MIN,
            meaning="mean accuracy over the corruption suite / clean accuracy",
            defaults=(None, 0.7, 0.8),
        ),
        TestParameter(
            key="M6.3.2.min_detection_rate",
            direction=MIN,
            meaning="share of OOD inputs the detector flags",
            defaults=(None, 0.8, 0.9),
        ),
        TestParameter(
            key="M6.3.2.max_false_positive_rate",
            direction=MAX,
            meaning="share of in-distribution inputs flagged as OOD",
            defaults=(None, 0.05, 0.05),
        ),
        TestParameter(
            key="M6.4.2.max_latency_ratio",
            direction=MAX,
            meaning="p99 latency of worst-case inputs / median latency of ordinary ones",
            defaults=(None, 10, 5),
        ),
        TestParameter(
            key="M6.4.2.max_memory_ratio",
            direction=MAX,
            meaning="peak memory of worst-case inputs / that of ordinary ones",
            defaults=(None, 10, 5),
        ),
        TestParameter(
            key="M7.2.3.max_generalisation_gap",
            direction=MAX,
            meaning="training accuracy minus held-out accuracy",
            defaults=(None, 0.1, 0.05),
        ),
        TestParameter(
            key="M5.2.1.max_claim_shortfall",
            direction=MAX,
            meaning="largest shortfall of a measured metric against the publisher's claim",
            defaults=(None, 0.02, 0.01),
        ),
        TestParameter(
            key="M6.4.3.max_subgroup_gap",
            direction=MAX,
            meaning="largest |subgroup - whole set| accuracy (clean and corrupted)",
            defaults=(None, 0.1, 0.05),
        ),
        TestParameter(
            key="M6.2.5.min_robust_accuracy_ratio",
            direction=MIN,
            meaning="robust accuracy under the adaptive attack / clean accuracy",
            defaults=(None, 0.5, 0.6),
        ),
        TestParameter(
            key="M7.2.5.query_budget",
            meaning="reconstruction queries per target",
            defaults=(None, 1000, 10000),
        ),
        TestParameter(
            key="M7.2.5.max_reconstruction_success",
            direction=MAX,
            meaning="share of targeted training records reconstructed",
            defaults=(None, 0.05, 0.01),
        ),
        TestParameter(
            key="M7.2.6.max_property_advantage",
            direction=MAX,
            meaning="property-inference meta-classifier accuracy above 0.5",
            defaults=(None, 0.1, 0.05),
        ),
        TestParameter(
            key="M3.1.3.max_metric_deviation",
            direction=MAX,
            meaning="|rebuild metric - registered metric|",
            defaults=(None, None, 0.01),
        ),
    )
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardValues:
    """The level a run verifies and the standard's parameter values in force."""

    level: str | None = None
    values: Mapping[str, object] | None = None

    @property
    def active(self) -> bool:
        """Whether a level is being verified (the standard decides)."""
        return self.level is not None

    def raw(self, key: str) -> Value:
        """The parameter at this level (run value, else level default); None without a level
        or where the standard defines none for the level."""
        if self.level is None:
            return None
        param = PARAMETERS[key]
        value = (self.values or {}).get(key, param.default(self.level))
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"standard parameter {key} must be a number, got {value!r}")
        return float(value)

    def value(self, key: str) -> float | None:
        """A numeric parameter (None when not in force)."""
        v = self.raw(key)
        if isinstance(v, str):
            raise ConfigError(f"standard parameter {key} must be a number, got {v!r}")
        return v

    def text(self, key: str) -> str | None:
        """A text parameter such as a norm (None when not in force)."""
        v = self.raw(key)
        return None if v is None else str(v)

    def budget(self, key: str, declared: int) -> int:
        """The larger of the project's budget and the standard's (a budget only grows)."""
        std = self.value(key)
        return declared if std is None else max(declared, int(std))

    def threshold(self, key: str, declared: Threshold | None) -> tuple[Threshold | None, str]:
        """The limit that decides, and where it came from: the standard's at a known level
        (``None`` if the standard has none for it), the project's without a level."""
        if self.level is None:
            return declared, "project" if declared else "none"
        std = self.value(key)
        if std is None:
            return None, f"standard {key}: not defined at {self.level}"
        param = PARAMETERS[key]
        name = key.rsplit(".", 1)[-1]
        limit = Threshold(
            key=name, direction=param.direction or MIN, per_level=((self.level, std),)
        )
        return limit, f"standard {key}"
