from __future__ import annotations

import pytest

from mlsvs.model.assessment import Assessment
from tests.render import builders


@pytest.fixture
def assessment() -> Assessment:
    return builders.assessment()


@pytest.fixture
def passing() -> Assessment:
    return builders.passing_assessment()
