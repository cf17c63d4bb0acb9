"""Ground truth for tests/scanner/scan_text_pickles.py: the real ``pickle.load`` abandons each
text file the scanner skips at its first global (AttributeError, nothing imported beyond the
standard library, nothing run), and runs the payload of the protocol-0 text it flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner.pickle_stop import INERT_STDLIB
from tests.scanner.oracle.harness import Loader, Oracle
from tests.scanner.scan_text_pickles import ABANDONED, PICKLES

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.oracle


def _quiet_attribute_error(oracle: Oracle, path: Path) -> None:
    verdict = oracle.judge(path, [Loader.PICKLE, Loader.PICKLE_STREAM])
    assert not verdict.malicious, verdict.explain()
    for obs in verdict.observations:
        assert obs.crash is None and "AttributeError" in (obs.error or ""), verdict.explain()


@pytest.mark.parametrize("name", sorted(ABANDONED))
def test_abandoned_text_is_quiet(name: str, oracle: Oracle, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(ABANDONED[name])
    _quiet_attribute_error(oracle, path)


def test_every_inert_module_lacking_the_name_is_quiet(oracle: Oracle, tmp_path: Path) -> None:
    for module in sorted(INERT_STDLIB):
        path = tmp_path / module
        path.write_bytes(f"c{module}\nno_such_routine\n(junk\n".encode())
        _quiet_attribute_error(oracle, path)


def test_payload_text_is_exploitable(oracle: Oracle, tmp_path: Path) -> None:
    path = tmp_path / "payload.txt"
    path.write_bytes(PICKLES["payload.txt"][0])
    verdict = oracle.judge(path, [Loader.PICKLE], first_hit=True)
    assert verdict.malicious, verdict.explain()
