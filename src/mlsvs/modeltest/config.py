"""``[tool.mlsvs.model_tests]``: parsed and validated once; unknown keys are errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlsvs.adapters.models.load import ModelKind
from mlsvs.errors import ConfigError
from mlsvs.modeltest.evasion.constraints import Norm
from mlsvs.modeltest.evasion.whitebox import Schedule
from mlsvs.modeltest.standard import StandardValues
from mlsvs.modeltest.thresholds import LEVELS, Threshold, parse_threshold

S = "model_tests"
_NUM = (int, float)


def _check_keys(raw: Mapping[str, object], where: str, allowed: Mapping[str, object]) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key(s) in [{where}]: {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    for key, value in raw.items():
        kind = allowed[key]
        if kind == "threshold":
            continue
        types = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{where}.{key} has the wrong type (bool)")
        if not isinstance(value, types):
            names = "/".join(t.__name__ for t in types)
            raise ConfigError(f"{where}.{key} must be {names}, got {type(value).__name__}")


def _table(raw: Mapping[str, object], key: str, where: str) -> Mapping[str, object]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key} must be a table")
    return value


def _floats(value: object, where: str) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, _NUM) for v in items):
        raise ConfigError(f"{where} must be a number or a non-empty list of numbers")
    return tuple(float(v) for v in items)  # type: ignore[arg-type]


def _ints(value: object, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in value
    ):
        raise ConfigError(f"{where} must be a list of integers")
    return tuple(value)


def _strs(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _thresholds(raw: Mapping[str, object], where: str) -> tuple[Threshold, ...]:
    return tuple(
        parse_threshold(k, v, where) for k, v in sorted(raw.items()) if k.endswith(("_min", "_max"))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FamilySettings:
    """Settings of one test family plus its thresholds."""

    values: Mapping[str, object] = field(default_factory=dict)
    thresholds: tuple[Threshold, ...] = ()

    def get(self, key: str, default: object) -> object:
        """A raw value (already type-checked) or the default."""
        return self.values.get(key, default)

    def get_int(self, key: str, default: int) -> int:
        """An integer setting."""
        v = self.values.get(key, default)
        return v if isinstance(v, int) else default

    def get_float(self, key: str, default: float) -> float:
        """A number setting."""
        v = self.values.get(key, default)
        return float(v) if isinstance(v, _NUM) else default

    def get_str(self, key: str, default: str) -> str:
        """A string setting."""
        v = self.values.get(key, default)
        return v if isinstance(v, str) else default

    def threshold(self, key: str) -> Threshold | None:
        """The threshold named ``key``, if declared."""
        return next((t for t in self.thresholds if t.key == key), None)


_TOP = {
    "seed": int, "level": str, "query_budget": int, "timeout_s": _NUM,
    "model": dict, "input": dict, "data": dict, "accuracy": dict, "robustness": dict,
    "privacy": dict, "extraction": dict, "output": dict, "calibration": dict,
    "corruption": dict, "ood": dict, "compute": dict, "memorisation": dict, "claims": dict,
    "derived": dict, "reproducibility": dict, "subgroups": dict, "reconstruction": dict,
    "property_inference": dict, "adaptive": dict,
}  # fmt: skip
_MODEL = {
    "kind": str, "factory": str, "trusted_model": str, "n_classes": int, "device": str,
    "url": str, "allowed_hosts": list, "request_template": str, "output_path": str,
    "auth_env": str, "auth_header": str, "auth_scheme": str, "request_timeout_s": _NUM,
    "max_retries": int, "backoff_s": _NUM, "batch_size": int, "trusted_types": list,
    "threads": int,
}  # fmt: skip
_INPUT = {
    "shape": list, "dtype": str, "lower": (int, float, list), "upper": (int, float, list),
    "integer_features": list, "one_hot_groups": list, "fixed_features": list,
    "scale": (int, float, list),
}  # fmt: skip
_DATA = {
    "test": str, "train": str, "nonmembers": str, "features": list, "label": str,
    "x_key": str, "y_key": str, "sensitive": str, "public_features": list, "ood": str,
}  # fmt: skip
_ACCURACY = {"samples": int, "clean_accuracy_min": "threshold"}
_ROBUST = {
    "samples": int, "norm": str, "epsilon": _NUM, "epsilons": list, "steps": int,
    "step_size": _NUM, "restarts": int, "random_start": bool, "schedule": str,
    "blackbox_attack": str, "queries_per_input": int, "sanity_tolerance": _NUM,
    "art_attacks": list, "art_max_iter": int, "crosscheck_samples": int,
    "robust_accuracy_min": "threshold", "blackbox_robust_accuracy_min": "threshold",
}  # fmt: skip
_PRIVACY = {
    "samples": int, "max_nonmembers": int, "attacks": list, "recipe": str,
    "shadow_models": int, "bootstrap": int,
    "mia_auc_max": "threshold", "mia_tpr_at_1pct_fpr_max": "threshold",
    "mia_tpr_at_01pct_fpr_max": "threshold", "mia_advantage_max": "threshold",
    "attribute_advantage_max": "threshold",
}  # fmt: skip
_EXTRACTION = {
    "budgets": list, "surrogate": str, "query_source": str, "query_sources": list,
    "samples": int,
    "extraction_fidelity_max": "threshold",
}  # fmt: skip
_OUTPUT = {"full_scores_justification": str, "samples": int, "endpoint": str, "requests": int}
_CALIBRATION = {
    "samples": int, "bins": int, "bootstrap": int,
    "expected_calibration_error_max": "threshold", "confidence_gap_max": "threshold",
}  # fmt: skip
_CORRUPTION = {
    "samples": int, "severity": int, "modality": str, "corruptions": list,
    "corruption_accuracy_ratio_min": "threshold",
}  # fmt: skip
_OOD = {
    "samples": int, "detector": str, "confidence_threshold": _NUM, "abstain_class": int,
    "synthetic": bool, "detection_rate_min": "threshold", "false_positive_rate_max": "threshold",
}  # fmt: skip
_COMPUTE = {
    "ordinary_samples": int, "repeats": int, "fuzz_samples": int, "min_baseline_s": _NUM,
    "latency_ratio_max": "threshold", "memory_ratio_max": "threshold",
}  # fmt: skip
_MEMORISATION = {"samples": int, "generalisation_gap_max": "threshold"}
_CLAIMS = {
    "card": str, "samples": int, "third_party": bool, "expected_digest": str,
    "claim_shortfall_max": "threshold",
}  # fmt: skip
_DERIVED = {"models": list, "suite": list}
_REPRO = {"recipe": str, "seeds": list, "samples": int, "metric_deviation_max": "threshold"}
_SUBGROUPS = {
    "column": str, "samples": int, "min_group_size": int, "severity": int,
    "subgroup_gap_max": "threshold",
}  # fmt: skip
_RECONSTRUCTION = {
    "targets": int, "unknown_features": list, "tolerance": _NUM, "queries_per_target": int,
    "reconstruction_success_max": "threshold",
}  # fmt: skip
_PROPERTY = {
    "column": str, "value": (int, float, str), "shares": list, "shadow_models": int,
    "shadow_size": int, "probes": int, "property_advantage_max": "threshold",
}  # fmt: skip
_ADAPTIVE = {
    "defences": list, "epsilon": _NUM, "queries_per_input": int, "samples": int,
    "robust_accuracy_ratio_min": "threshold",
}  # fmt: skip
DERIVED_SUITE = ("clean_accuracy", "corruption_robustness", "calibration", "blackbox_evasion",
                 "whitebox_evasion", "ood_detection", "memorisation")  # fmt: skip
_DERIVED_MODEL = {"name": str, "kind": str, "factory": str, "trusted_model": str,
                  "trusted_types": list}  # fmt: skip
_CHOICES = {
    "robustness.blackbox_attack": ("square", "hopskipjump"),
    "robustness.art_attacks": ("HopSkipJump", "BoundaryAttack", "GeoDA", "SquareAttack", "SimBA"),
    "privacy.attacks": ("loss", "confidence", "entropy", "logit"),
    "extraction.surrogate": ("logistic", "mlp", "forest"),
    "extraction.query_source": ("data", "uniform", "synthetic"),
    "extraction.query_sources": ("data", "uniform", "synthetic"),
    "corruption.modality": ("tabular", "image"),
    "corruption.corruptions": (
        "gaussian_noise",
        "missing_values",
        "scale_shift",
        "offset_shift",
        "feature_swap",
        "shot_noise",
        "impulse_noise",
        "gaussian_blur",
        "contrast",
        "brightness",
        "pixelate",
        "jpeg_quantise",
    ),
    "ood.detector": ("max_softmax", "abstain_class"),
    "derived.suite": DERIVED_SUITE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelTestConfig:
    """The whole validated section."""

    seed: int = 0
    level: str | None = None
    query_budget: int | None = None
    timeout_s: float = 600.0
    model: FamilySettings
    input: FamilySettings
    data: FamilySettings
    accuracy: FamilySettings
    robustness: FamilySettings
    privacy: FamilySettings
    extraction: FamilySettings
    output: FamilySettings
    calibration: FamilySettings = field(default_factory=FamilySettings)
    corruption: FamilySettings = field(default_factory=FamilySettings)
    ood: FamilySettings = field(default_factory=FamilySettings)
    compute: FamilySettings = field(default_factory=FamilySettings)
    memorisation: FamilySettings = field(default_factory=FamilySettings)
    claims: FamilySettings = field(default_factory=FamilySettings)
    derived: FamilySettings = field(default_factory=FamilySettings)
    reproducibility: FamilySettings = field(default_factory=FamilySettings)
    subgroups: FamilySettings = field(default_factory=FamilySettings)
    reconstruction: FamilySettings = field(default_factory=FamilySettings)
    property_inference: FamilySettings = field(default_factory=FamilySettings)
    adaptive: FamilySettings = field(default_factory=FamilySettings)
    standard: StandardValues = field(default_factory=StandardValues)
    """The level this run verifies and the standard's parameters (set by the session)."""

    @property
    def kind(self) -> ModelKind:
        """Model adapter kind."""
        return ModelKind(self.model.get_str("kind", "auto"))

    @property
    def norm(self) -> Norm:
        """Evasion norm."""
        return Norm(self.robustness.get_str("norm", "linf"))

    @property
    def schedule(self) -> Schedule:
        """PGD step schedule."""
        return Schedule(self.robustness.get_str("schedule", "constant"))


def parse(raw: Mapping[str, object]) -> ModelTestConfig:
    """Validate ``[tool.mlsvs.model_tests]``; raises ``ConfigError`` with one clear line."""
    _check_keys(raw, S, _TOP)
    parts: dict[str, FamilySettings] = {}
    for name, allowed in (
        ("model", _MODEL), ("input", _INPUT), ("data", _DATA), ("accuracy", _ACCURACY),
        ("robustness", _ROBUST), ("privacy", _PRIVACY), ("extraction", _EXTRACTION),
        ("output", _OUTPUT), ("calibration", _CALIBRATION), ("corruption", _CORRUPTION),
        ("ood", _OOD), ("compute", _COMPUTE), ("memorisation", _MEMORISATION),
        ("claims", _CLAIMS), ("derived", _DERIVED), ("reproducibility", _REPRO),
        ("subgroups", _SUBGROUPS), ("reconstruction", _RECONSTRUCTION),
        ("property_inference", _PROPERTY), ("adaptive", _ADAPTIVE),
    ):  # fmt: skip
        where = f"{S}.{name}"
        table = _table(raw, name, S)
        _check_keys(table, where, allowed)
        parts[name] = FamilySettings(values=dict(table), thresholds=_thresholds(table, where))
    _validate(parts)
    level = raw.get("level")
    if level is not None and level not in LEVELS:
        raise ConfigError(f"{S}.level must be one of {', '.join(LEVELS)}")
    budget = raw.get("query_budget")
    return ModelTestConfig(
        seed=int(raw.get("seed", 0)),  # type: ignore[call-overload]
        level=level if isinstance(level, str) else None,
        query_budget=budget if isinstance(budget, int) else None,
        timeout_s=float(raw.get("timeout_s", 600.0)),  # type: ignore[arg-type]
        model=parts["model"], input=parts["input"], data=parts["data"],
        accuracy=parts["accuracy"], robustness=parts["robustness"], privacy=parts["privacy"],
        extraction=parts["extraction"], output=parts["output"],
        calibration=parts["calibration"], corruption=parts["corruption"], ood=parts["ood"],
        compute=parts["compute"], memorisation=parts["memorisation"], claims=parts["claims"],
        derived=parts["derived"], reproducibility=parts["reproducibility"],
        subgroups=parts["subgroups"], reconstruction=parts["reconstruction"],
        property_inference=parts["property_inference"], adaptive=parts["adaptive"],
    )  # fmt: skip


def _validate(parts: Mapping[str, FamilySettings]) -> None:
    model = parts["model"]
    kind = model.get_str("kind", "auto")
    if kind not in {k.value for k in ModelKind}:
        raise ConfigError(f"{S}.model.kind must be one of {', '.join(k.value for k in ModelKind)}")
    if kind == "http" and not model.values.get("url"):
        raise ConfigError(f"{S}.model.url is required for kind = 'http'")
    if kind != "http" and not (model.values.get("factory") or model.values.get("trusted_model")):
        raise ConfigError(f"{S}.model needs factory = 'module:function' or trusted_model = 'path'")
    if "shape" not in parts["input"].values:
        raise ConfigError(f"{S}.input.shape is required (per-sample shape, e.g. [8])")
    if "n_classes" not in model.values:
        raise ConfigError(f"{S}.model.n_classes is required")
    rob = parts["robustness"]
    if rob.get_str("norm", "linf") not in {n.value for n in Norm}:
        raise ConfigError(f"{S}.robustness.norm must be linf or l2")
    if rob.get_str("schedule", "constant") not in {s.value for s in Schedule}:
        raise ConfigError(f"{S}.robustness.schedule must be constant, cosine or step")
    for dotted, allowed in _CHOICES.items():
        sec, key = dotted.split(".")
        value = parts[sec].values.get(key)
        values = value if isinstance(value, list) else [] if value is None else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ConfigError(f"{S}.{dotted}: {bad[0]!r} is not one of {', '.join(allowed)}")
    listed = parts["derived"].values.get("models", [])
    for i, entry in enumerate(listed if isinstance(listed, list) else []):
        where = f"{S}.derived.models[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table")
        _check_keys(entry, where, _DERIVED_MODEL)
        if not (entry.get("factory") or entry.get("trusted_model")):
            raise ConfigError(f"{where} needs factory or trusted_model")
        if entry.get("kind", "auto") not in {k.value for k in ModelKind} - {"http"}:
            raise ConfigError(f"{where}.kind must be a local model kind")
    if "epsilons" in rob.values:
        _floats(rob.values["epsilons"], f"{S}.robustness.epsilons")
    if "budgets" in parts["extraction"].values:
        _ints(parts["extraction"].values["budgets"], f"{S}.extraction.budgets")


def floats(value: object, where: str) -> tuple[float, ...]:
    """Public wrapper: a number or list of numbers."""
    return _floats(value, where)


def ints(value: object, where: str) -> tuple[int, ...]:
    """Public wrapper: a list of integers."""
    return _ints(value, where)


def strs(value: object, where: str) -> tuple[str, ...]:
    """Public wrapper: a list of strings."""
    return _strs(value, where)
