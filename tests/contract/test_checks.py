"""Contract tests over every registered check: IDs, requirements, docs, capabilities."""

from __future__ import annotations

import pytest

from mlsvs.api import load_catalog
from mlsvs.engine.registry import load_registry
from mlsvs.model.artifact import Capability
from mlsvs.model.check import CHECK_ID, Isolation

STANDARD = load_catalog()
REGISTRY = load_registry(STANDARD)
CHECKS = [c.check for c in REGISTRY.checks]


def test_every_plugin_loaded() -> None:
    assert REGISTRY.problems == ()
    assert len(CHECKS) >= 5


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_check_metadata(check) -> None:
    assert CHECK_ID.match(check.id)
    assert check.id.startswith("MLC")
    assert check.title and len(check.title) <= 100
    assert check.description, "the first docstring line is the one-line description"
    assert check.remediation, "every built-in check says how to fix a failure"
    for requirement in check.requirements:
        assert requirement in STANDARD.requirements
    if Capability.MODEL_EXECUTION in check.capabilities:
        assert check.isolation is Isolation.PROCESS


def test_check_ids_are_unique_and_ranged() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
