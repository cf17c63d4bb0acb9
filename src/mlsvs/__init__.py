"""mlsvs: reference implementation of the Machine Learning Security Verification Standard (MLSVS).

Importing this package is cheap on purpose: it holds the version only. The public API lives in
``mlsvs.api`` (assessments), ``mlsvs.plugin`` (check authors) and ``mlsvs.model`` (data types).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
