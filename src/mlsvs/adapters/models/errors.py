"""Errors raised while loading or querying a model under test (one line each, never a pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.errors import MlsvsError

if TYPE_CHECKING:
    from mlsvs.model.coverage import Gap


class ModelTestError(MlsvsError):
    """A runtime model test could not run: the outcome is errored, never passed.

    ``gap`` names an input the test could not cover (a declared file that does not exist, data
    that cannot be parsed): the checks then report *not verified* with that gap instead of an
    error. Without one the fault is the test's or the project code's, and the outcome is an
    error.
    """

    def __init__(
        self,
        message: str,
        *,
        gap: Gap | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line)
        self.gap = gap


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
