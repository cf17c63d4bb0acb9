"""Shared fixtures: the benign corpus (real libraries) and the malicious corpus (byte by byte)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from tests.scanner.scan_benign import BENIGN
from tests.scanner.scan_malicious import CASES

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="session")
def benign_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every benign sample, built once per session (a missing library skips its sample)."""
    d = tmp_path_factory.mktemp("benign")
    out: dict[str, Path] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, build in BENIGN.items():
            try:
                out[name] = build(d)
            except ImportError:
                continue
    return out


@pytest.fixture(scope="session")
def malicious_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every malicious sample, each in its own directory."""
    root = tmp_path_factory.mktemp("malicious")
    out: dict[str, Path] = {}
    for i, case in enumerate(CASES):
        d = root / f"{i:03d}"
        d.mkdir()
        out[case.name] = case.build(d)
    return out
