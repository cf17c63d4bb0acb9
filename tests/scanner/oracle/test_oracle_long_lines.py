"""Ground truth for tests/scanner/scan_long_lines.py: the real ``pickle.load`` reads every
long line (the benign samples are quiet) and runs the payloads behind or inside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.harness import Loader, Oracle
from tests.scanner.scan_long_lines import BENIGN_LONG, MALICIOUS_LONG, Builder

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.oracle


@pytest.mark.parametrize("build", BENIGN_LONG.values(), ids=list(BENIGN_LONG))
def test_long_benign_pickle_is_quiet(build: Builder, oracle: Oracle, tmp_path: Path) -> None:
    verdict = oracle.judge(build(tmp_path), [Loader.PICKLE])
    assert not verdict.malicious, verdict.explain()


@pytest.mark.parametrize("build", MALICIOUS_LONG.values(), ids=list(MALICIOUS_LONG))
def test_payload_with_long_lines_runs(build: Builder, oracle: Oracle, tmp_path: Path) -> None:
    verdict = oracle.judge(build(tmp_path), [Loader.PICKLE])
    assert verdict.malicious, verdict.explain()
