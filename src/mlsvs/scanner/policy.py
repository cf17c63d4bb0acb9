"""Allowlist-first classification of the callables a pickle names.

Order: the bundled allowlist (exact names) -> the denylist (dangerous, explained) -> the user's
allowlist extensions -> unknown. User extensions never silence a denylisted callable.
"""

from __future__ import annotations

import enum
import functools
import json
from pathlib import Path
from typing import NamedTuple

from mlsvs.scanner.pickle_names import normalize
from mlsvs.scanner.pickle_shapes import CallShape

ALLOWLIST_RESOURCE = "allowlist-v2.json"
DENYLIST_RESOURCE = "denylist-v1.json"


@enum.unique
class CallVerdict(enum.StrEnum):
    """Classification of one callable."""

    ALLOWED = "allowed"
    DANGEROUS = "dangerous"
    UNKNOWN = "unknown"


class Classification(NamedTuple):
    """Verdict plus the reason shown to the user."""

    verdict: CallVerdict
    name: str
    reason: str = ""


class _Lists(NamedTuple):
    allowed: frozenset[str]
    entries: dict[str, object]
    """Allowlist entry per name; its call shape is parsed when first asked for."""
    modules: dict[str, str]
    callables: dict[str, str]
    segments: dict[str, str]


_DATA = Path(__file__).with_name("data")
"""The bundled lists, read from the package directory (``importlib.resources`` would add ~10 ms
of imports to every ``mlsvs scan``; the package is never installed zipped)."""


def _load(name: str) -> dict[str, object]:
    data = json.loads((_DATA / name).read_bytes())
    if not isinstance(data, dict):
        raise TypeError(f"{name}: expected a JSON object")
    return data


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


@functools.cache
def _lists() -> _Lists:
    allow = _load(ALLOWLIST_RESOURCE)
    deny = _load(DENYLIST_RESOURCE)
    callables = allow.get("callables", {})
    entries = {str(k): v for k, v in callables.items()} if isinstance(callables, dict) else {}
    return _Lists(
        allowed=frozenset(entries),
        entries=entries,
        modules=_str_map(deny.get("modules")),
        callables=_str_map(deny.get("callables")),
        segments=_str_map(deny.get("segments")),
    )


def allowlist_names() -> frozenset[str]:
    """Every callable on the bundled allowlist."""
    return _lists().allowed


def call_shape(name: str) -> CallShape | None:
    """The call shape ordinary files use for an allowlisted callable (None: names only)."""
    norm = normalize(name)
    lists = _lists()
    if norm not in lists.allowed:
        alias = old_module_path(norm, lists.allowed)
        if alias is None:
            return None
        norm = alias
    return _shape(norm)


@functools.cache
def _shape(name: str) -> CallShape | None:
    # Parsed on first use: a scan asks for a few dozen of the ~850 entries.
    entry = _lists().entries.get(name)
    return CallShape.from_json(entry.get("shape") if isinstance(entry, dict) else None)


def classify(name: str, extra_allow: frozenset[str] = frozenset()) -> Classification:
    """Classify ``module.qualname`` (already resolved through any indirection)."""
    norm = normalize(name)
    lists = _lists()
    if norm in lists.allowed:
        return Classification(verdict=CallVerdict.ALLOWED, name=norm)
    alias = old_module_path(norm, lists.allowed)
    if alias is not None:
        return Classification(verdict=CallVerdict.ALLOWED, name=norm, reason=f"old path of {alias}")
    reason = _deny_reason(norm, lists)
    if reason is not None:
        return Classification(verdict=CallVerdict.DANGEROUS, name=norm, reason=reason)
    if norm in extra_allow or name in extra_allow or _prefix_allowed(norm, extra_allow):
        return Classification(
            verdict=CallVerdict.ALLOWED, name=norm, reason="allowed by configuration"
        )
    return Classification(verdict=CallVerdict.UNKNOWN, name=norm)


# scikit-learn 0.22 renames that are not "prefix the module with an underscore"
_SKLEARN_RENAMES = {
    "sklearn.tree.tree": "sklearn.tree._classes",
    "sklearn.ensemble.gradient_boosting": "sklearn.ensemble._gb",
    "sklearn.cluster.k_means_": "sklearn.cluster._kmeans",
}


# scikit-learn classes that moved to another module: the old name is the same class
_SKLEARN_MOVED = {
    "sklearn.datasets.base.Bunch": "sklearn.utils._bunch.Bunch",  # defined there until 0.20
    "sklearn.utils.Bunch": "sklearn.utils._bunch.Bunch",  # 0.21-1.1
}


def old_module_path(norm: str, allowed: frozenset[str]) -> str | None:
    """The allowlisted name an old public module path stands for, if any.

    scikit-learn 0.22-0.23 moved implementation modules to private names
    (``sklearn.ensemble.forest`` -> ``sklearn.ensemble._forest``) and kept the old ones as
    aliases; files written before that still name the old path, which loads the same class.
    A few classes moved module altogether (``_SKLEARN_MOVED``).
    """
    if not norm.startswith("sklearn."):
        return None
    moved = _SKLEARN_MOVED.get(norm)
    if moved is not None:
        return moved if moved in allowed else None
    for old, new in _SKLEARN_RENAMES.items():
        if norm.startswith(old + "."):
            candidate = new + norm[len(old) :]
            return candidate if candidate in allowed else None
    parts = norm.split(".")
    for i in range(1, len(parts) - 1):
        if not parts[i].startswith("_"):
            candidate = ".".join([*parts[:i], "_" + parts[i], *parts[i + 1 :]])
            if candidate in allowed:
                return candidate
    return None


def _prefix_allowed(norm: str, extra_allow: frozenset[str]) -> bool:
    """User entries ending in ``.*`` allow a whole module."""
    return any(e.endswith(".*") and norm.startswith(e[:-1]) for e in extra_allow)


def _deny_reason(norm: str, lists: _Lists) -> str | None:
    parts = norm.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in lists.callables:
            return lists.callables[prefix]
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in lists.modules:
            return lists.modules[prefix]
    for part in parts[1:]:
        if part in lists.segments:
            return f"reaches {lists.segments[part]} through attribute {part!r}"
        if part.startswith("__") and part.endswith("__") and part not in _BENIGN_DUNDERS:
            return f"reaches interpreter internals through {part!r}"
    return None


_BENIGN_DUNDERS = frozenset({"__new__", "__newobj__", "__newobj_ex__", "__init__", "__call__"})
