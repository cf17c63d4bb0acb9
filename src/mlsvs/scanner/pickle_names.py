"""Names as the unpickler resolves them (Python 2 module names, ``module:qualname``)."""

from __future__ import annotations

import functools
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING


@functools.lru_cache(maxsize=4096)
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
