"""Shared fixtures of the catalog tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.catalog import load_directory

from .helpers import VALID

if TYPE_CHECKING:
    from mlsvs.model.catalog import Standard


@pytest.fixture(scope="session")
def standard() -> Standard:
    """The valid two-chapter fixture catalog."""
    return load_directory(VALID)
