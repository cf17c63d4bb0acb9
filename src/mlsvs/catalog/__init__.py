"""The MLSVS requirement catalog: loading, validation, exports, docs and procurement annex.

Importing this package is cheap: YAML and pydantic are imported only when a catalog is read.
"""

from __future__ import annotations

from mlsvs.catalog.loader import (
    bundled_versions,
    load_directory,
    load_standard,
    validate_directory,
)
from mlsvs.catalog.problems import CatalogProblem

__all__ = [
    "CatalogProblem",
    "bundled_versions",
    "load_directory",
    "load_standard",
    "validate_directory",
]
