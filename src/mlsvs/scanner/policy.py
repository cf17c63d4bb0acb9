"""Allowlist-first classification of the callables a pickle names.

Order: the bundled allowlist (exact names) -> the denylist (dangerous, explained) -> the user's
allowlist extensions -> unknown. User extensions never silence a denylisted callable.
"""

from __future__ import annotations

import enum
import functools
import json
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from dataclasses import dataclass
from importlib import resources

ALLOWLIST_RESOURCE = "allowlist-v1.json"
DENYLIST_RESOURCE = "denylist-v1.json"


@enum.unique
class Verdict(enum.StrEnum):
    """Classification of one callable."""

    ALLOWED = "allowed"
    DANGEROUS = "dangerous"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """Verdict plus the reason shown to the user."""

    verdict: Verdict
    name: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Lists:
    allowed: frozenset[str]
    modules: dict[str, str]
    callables: dict[str, str]
    segments: dict[str, str]


def _load(name: str) -> dict[str, object]:
    text = resources.files("mlsvs.scanner").joinpath("data", name).read_text(encoding="utf-8")
    data = json.loads(text)
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
    allowed = frozenset(callables) if isinstance(callables, dict) else frozenset()
    return _Lists(
        allowed=allowed,
        modules=_str_map(deny.get("modules")),
        callables=_str_map(deny.get("callables")),
        segments=_str_map(deny.get("segments")),
    )


def allowlist_names() -> frozenset[str]:
    """Every callable on the bundled allowlist."""
    return _lists().allowed


def normalize(name: str) -> str:
    """Map Python 2 names the unpickler rewrites (``__builtin__`` -> ``builtins``) and ``:``."""
    name = name.replace(":", ".")
    for split in range(name.count("."), 0, -1):
        parts = name.split(".")
        mod, rest = ".".join(parts[:split]), ".".join(parts[split:])
        if (mod, rest) in NAME_MAPPING:
            new_mod, new_name = NAME_MAPPING[(mod, rest)]
            return f"{new_mod}.{new_name}"
        if mod in IMPORT_MAPPING:
            return f"{IMPORT_MAPPING[mod]}.{rest}"
    return name


def classify(name: str, extra_allow: frozenset[str] = frozenset()) -> Classification:
    """Classify ``module.qualname`` (already resolved through any indirection)."""
    norm = normalize(name)
    lists = _lists()
    if norm in lists.allowed:
        return Classification(verdict=Verdict.ALLOWED, name=norm)
    reason = _deny_reason(norm, lists)
    if reason is not None:
        return Classification(verdict=Verdict.DANGEROUS, name=norm, reason=reason)
    if norm in extra_allow or name in extra_allow or _prefix_allowed(norm, extra_allow):
        return Classification(verdict=Verdict.ALLOWED, name=norm, reason="allowed by configuration")
    return Classification(verdict=Verdict.UNKNOWN, name=norm)


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
