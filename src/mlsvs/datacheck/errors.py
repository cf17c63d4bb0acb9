"""Errors of the dataset checks: one line naming the file, exit code 2 on the CLI."""

from __future__ import annotations

from mlsvs.errors import MlsvsError


class DataError(MlsvsError):
    """Base class of the dataset-check errors."""


class DataFileError(DataError):
    """A dataset file cannot be read (bad encoding, ragged CSV, corrupt Parquet, missing extra)."""


class ManifestFormatError(DataError):
    """A dataset manifest, DVC file or checksum file is malformed."""


class DataSettingsError(DataError):
    """The ``[datasets]`` configuration section is invalid."""
