"""``[datasets]`` settings, validated once; unknown keys and wrong types are errors.

Defaults are documented in ``docs/dataset-checks.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlsvs.datacheck.errors import DataSettingsError
from mlsvs.datacheck.pii import Confidence

_NUM = (int, float)
_TYPES: dict[str, tuple[type, ...]] = {
    "manifests": (list,),
    "record_hashes": (bool,),
    "splits": (dict,),
    "key_column": (str,),
    "time_column": (str,),
    "label_column": (str,),
    "near_duplicates": (bool,),
    "near_digits": (int,),
    "minhash_threshold": _NUM,
    "minhash_permutations": (int,),
    "minhash_bands": (int,),
    "shingle_size": (int,),
    "pii_allow": (list,),
    "pii_min_confidence": (str,),
    "pii_max_rows": (int,),
    "training_data": (list,),
    "label_issue_rate_max": _NUM,
    "duplicate_rate_max": _NUM,
    "outlier_rate_max": _NUM,
    "class_imbalance_max": _NUM,
    "outlier_z": _NUM,
    "quality_max_rows": (int,),
    "cv_folds": (int,),
    "label_method": (str,),
    "seed": (int,),
    "recipe": (str,),
    "embeddings": (str,),
    "canary_rate": _NUM,
    "canary_target": (str, int),
    "canary_features": (list,),
    "canary_attack_success_max": _NUM,
    "canary_accuracy_drop_max": _NUM,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PiiAllow:
    """A reviewed exception: ``path`` (glob) and ``column`` (or ``*``), optionally one entity."""

    path: str
    column: str
    entity: str = ""
    reason: str = ""

    @property
    def ref(self) -> str:
        """The ``path:column[:entity]`` reference as configured."""
        return ":".join(x for x in (self.path, self.column, self.entity) if x)


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSettings:
    """The validated ``[datasets]`` section."""

    manifests: tuple[str, ...] = ()
    """Extra manifest files (besides the ones found by name)."""
    record_hashes: bool = False
    splits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    key_column: str = ""
    time_column: str = ""
    label_column: str = ""
    near_duplicates: bool = True
    near_digits: int = 4
    minhash_threshold: float = 0.8
    minhash_permutations: int = 128
    minhash_bands: int = 16
    shingle_size: int = 5
    pii_allow: tuple[PiiAllow, ...] = ()
    pii_min_confidence: Confidence = Confidence.MEDIUM
    pii_max_rows: int = 0
    training_data: tuple[str, ...] = ()
    """Globs of the files treated as training data by the PII check (default: all datasets)."""
    label_issue_rate_max: float | None = None
    """Overrides the standard's M2.3.1.max_label_noise_rate for this project (None: the level's)."""
    duplicate_rate_max: float = 0.01
    outlier_rate_max: float | None = None
    """Judged only when declared: heavy tails and sparse features make any default limit flag
    ordinary data (27 % of breast_cancer, 82 % of digits rows exceed a modified z of 3.5)."""
    class_imbalance_max: float | None = None
    """Judged only when declared: imbalance is a property of many tasks, not a poisoning sign."""
    outlier_z: float = 3.5
    quality_max_rows: int = 100_000
    cv_folds: int = 5
    label_method: str = "native"
    seed: int = 0
    recipe: str = ""
    embeddings: str = ""
    """A ``.npy`` array of per-row model embeddings of the training split (spectral signatures)."""
    canary_rate: float = 0.05
    canary_target: str = ""
    canary_features: tuple[str, ...] = ()
    canary_attack_success_max: float = 0.2
    canary_accuracy_drop_max: float = 0.05


def parse_settings(raw: Mapping[str, object]) -> DataSettings:
    """Validate ``[datasets]``; ``DataSettingsError`` names the offending key."""
    unknown = sorted(set(raw) - set(_TYPES))
    if unknown:
        raise DataSettingsError(
            f"[datasets]: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_TYPES))})"
        )
    for key, value in raw.items():
        types = _TYPES[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = "/".join(t.__name__ for t in types)
            raise DataSettingsError(f"[datasets] {key} must be {names}, got {type(value).__name__}")
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in {"manifests", "training_data", "canary_features"}:
            values[key] = _strings(value, key)
        elif key == "splits":
            values[key] = _splits(value)
        elif key == "pii_allow":
            values[key] = tuple(_allow(item) for item in _list(value))
        elif key == "pii_min_confidence":
            try:
                values[key] = Confidence[str(value).upper()]
            except KeyError:
                raise DataSettingsError(
                    "[datasets] pii_min_confidence must be low, medium or high"
                ) from None
        elif key == "label_method":
            if value not in {"native", "cleanlab"}:
                raise DataSettingsError("[datasets] label_method must be 'native' or 'cleanlab'")
            values[key] = value
        elif key == "canary_target":
            values[key] = str(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if value < 0:
                raise DataSettingsError(f"[datasets] {key} must not be negative")
            values[key] = float(value) if _TYPES[key] == _NUM else value
        else:
            values[key] = value
    settings = DataSettings(**values)  # type: ignore[arg-type]
    _bounds(settings)
    return settings


def _bounds(s: DataSettings) -> None:
    if not 0 < s.minhash_threshold <= 1:
        raise DataSettingsError("[datasets] minhash_threshold must be in (0, 1]")
    if s.minhash_bands < 1 or s.minhash_permutations % s.minhash_bands:
        raise DataSettingsError(
            "[datasets] minhash_permutations must be a multiple of minhash_bands"
        )
    if not 1 <= s.near_digits <= 15 or not 1 <= s.shingle_size <= 7:
        raise DataSettingsError("[datasets] near_digits must be 1-15 and shingle_size 1-7")
    if not 0 < s.canary_rate < 1:
        raise DataSettingsError("[datasets] canary_rate must be in (0, 1)")
    if s.cv_folds < 2:
        raise DataSettingsError("[datasets] cv_folds must be at least 2")
    if s.recipe and ":" not in s.recipe:
        raise DataSettingsError("[datasets] recipe must look like 'module:function'")


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _strings(value: object, key: str) -> tuple[str, ...]:
    items = _list(value)
    if not all(isinstance(v, str) for v in items):
        raise DataSettingsError(f"[datasets] {key} must be a list of strings")
    return tuple(str(v) for v in items)


def _splits(value: object) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, paths in dict(value).items() if isinstance(value, dict) else ():
        if isinstance(paths, str):
            out[str(name)] = (paths,)
        elif isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths):
            out[str(name)] = tuple(paths)
        else:
            raise DataSettingsError(f"[datasets] splits.{name} must be a path or list of paths")
    return out


def _allow(item: object) -> PiiAllow:
    if isinstance(item, str):
        ref, reason = item, ""
    elif isinstance(item, dict) and isinstance(item.get("ref"), str):
        ref, reason = str(item["ref"]), str(item.get("reason", ""))
        extra = sorted(set(item) - {"ref", "reason"})
        if extra:
            raise DataSettingsError(f"[datasets] pii_allow entry: unknown key(s) {extra}")
    else:
        raise DataSettingsError(
            "[datasets] pii_allow entries are 'path:column' strings or "
            "{ref = 'path:column', reason = '...'} tables"
        )
    parts = ref.split(":")
    if len(parts) not in {2, 3} or not all(parts):
        raise DataSettingsError(f"[datasets] pii_allow {ref!r} must be 'path:column[:entity]'")
    return PiiAllow(
        path=parts[0], column=parts[1], entity=parts[2] if len(parts) == 3 else "", reason=reason
    )
