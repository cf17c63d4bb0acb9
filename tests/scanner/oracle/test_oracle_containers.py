"""Ground truth for the container layouts: the real loader runs each one's payload."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.harness import Loader, Oracle
from tests.scanner.scan_containers import CONTAINER_CASES, ContainerCase

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.oracle

_LOADER = {
    "pickle": Loader.PICKLE,
    "joblib": Loader.JOBLIB,
    "torch": Loader.TORCH,
    "keras": Loader.KERAS,
    "h5-keras": Loader.KERAS,
    "jinja2-gguf": Loader.JINJA2_GGUF,
    "numpy": Loader.NUMPY,
}


@pytest.mark.parametrize("case", CONTAINER_CASES, ids=[c.name for c in CONTAINER_CASES])
def test_container_layout_is_exploitable(
    case: ContainerCase, oracle: Oracle, tmp_path: Path
) -> None:
    path = case.build(tmp_path)
    verdict = oracle.judge(path, [_LOADER[case.loader]])
    assert verdict.malicious, verdict.explain()
