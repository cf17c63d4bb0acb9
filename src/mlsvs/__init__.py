"""mlsvs: reference implementation of the Machine Learning Security Verification Standard (MLSVS).

Importing this package is cheap on purpose: it holds the version only. The public API lives in
``mlsvs.api`` (assessments), ``mlsvs.plugin`` (check authors) and ``mlsvs.model`` (data types);
``import mlsvs; mlsvs.api.assess(...)`` works too: those modules load on first attribute
access, so ``mlsvs --version`` still imports nothing else.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["__version__", "api", "model", "plugin"]

_LAZY = frozenset({"api", "model", "plugin"})


def __getattr__(name: str) -> object:
    """Import the public submodules on first use (PEP 562)."""
    if name in _LAZY:
        return importlib.import_module(f"mlsvs.{name}")
    raise AttributeError(f"module 'mlsvs' has no attribute {name!r}")
