"""Scanner options from the ``[tool.mlsvs.scanner]`` section and the command line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.scanner.report import ScanOptions

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_NAME = re.compile(r"^[A-Za-z_][\w]*(?:[.:][A-Za-z_][\w]*)*(?:\.\*)?$")
_INT_KEYS = (
    "max_depth", "max_members", "max_member_bytes", "max_memory_bytes", "max_total_bytes",
    "max_opcodes", "max_seconds",
)  # fmt: skip


def parse_allow(names: Iterable[object]) -> frozenset[str]:
    """Validate allowlist extensions (``module.qualname``, ``module:qualname``, ``module.*``)."""
    out: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name.strip()):
            raise ValueError(f"invalid callable name {name!r} (expected module.qualname)")
        out.add(name.strip().replace(":", "."))
    return frozenset(out)


def options_from(section: Mapping[str, object], extra_allow: Iterable[str] = ()) -> ScanOptions:
    """Build options from a config section (unknown keys are errors) plus CLI ``--allow``."""
    unknown = sorted(set(section) - {"allow", *_INT_KEYS})
    if unknown:
        raise ValueError(f"unknown [scanner] key(s): {', '.join(unknown)}")
    allow_value = section.get("allow", [])
    if not isinstance(allow_value, list):
        raise ValueError("[scanner] allow must be a list of callable names")
    limits: dict[str, int] = {}
    for key in _INT_KEYS:
        if key in section:
            value = section[key]
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"[scanner] {key} must be a positive integer")
            limits[key] = value
    allow = parse_allow([*allow_value, *extra_allow])
    return ScanOptions(allow=allow, **limits)
