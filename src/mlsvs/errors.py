"""Errors that the CLI turns into a one-line message and exit code 2.

Every error raised on bad input (config, catalog, attestation, usage) is an ``MlsvsError``: the
CLI prints ``diagnostics()`` and exits 2 without a traceback (``-v`` shows one).
"""

from __future__ import annotations


class MlsvsError(Exception):
    """Base class for every error mlsvs reports to a user."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def diagnostics(self) -> str:
        """One line: ``file:line: message`` where the place is known."""
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"


class UsageError(MlsvsError):
    """The command line asked for something that does not exist (format, ID, level)."""


class ConfigError(MlsvsError):
    """mlsvs.toml / [tool.mlsvs] is malformed or names unknown keys."""


class CatalogError(MlsvsError):
    """The requirement catalog (bundled or an overlay) is invalid."""

    def __init__(
        self,
        message: str,
        *,
        problems: tuple[str, ...] = (),
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line)
        self.problems = problems

    def diagnostics(self) -> str:
        """The summary line followed by every problem found, one per line."""
        head = super().diagnostics()
        if not self.problems:
            return head
        return "\n".join((head, *(f"  {p}" for p in self.problems)))


class PluginError(MlsvsError):
    """A plugin failed to load or declares invalid metadata."""


class AttestationError(MlsvsError):
    """An attestation file is malformed."""


class DiscoveryError(MlsvsError):
    """The project to verify cannot be read."""


class CapabilityError(MlsvsError):
    """An operation needs a capability (``network``, ``model-exec``) the user did not grant."""
