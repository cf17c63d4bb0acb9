"""Errors raised while loading or querying a model under test (one line each, never a pass)."""

from __future__ import annotations

from mlsvs.errors import MlsvsError


class ModelTestError(MlsvsError):
    """A runtime model test could not run: the outcome is errored, never passed."""


class BudgetExhaustedError(ModelTestError):
    """The model was queried more often than the configured query budget allows."""


class InputShapeError(ModelTestError):
    """Inputs do not match the declared input spec (shape, dtype or feature count)."""


class ModelLoadError(ModelTestError):
    """The model under test could not be built or loaded."""


class EndpointError(ModelTestError):
    """An HTTP model endpoint failed, timed out or answered something unusable."""


class ModelTimeoutError(ModelTestError):
    """The model did not answer one query within the worker's timeout (it may hang)."""
