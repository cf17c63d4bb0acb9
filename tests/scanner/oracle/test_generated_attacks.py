"""A short seeded run of the generated-attack campaign (the long run: benchmarks/scanner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.campaign import judge, run_campaign
from tests.scanner.oracle.grammar import ReplayChooser, generate

if TYPE_CHECKING:
    from pathlib import Path

    from tests.scanner.oracle.harness import Oracle

pytestmark = pytest.mark.oracle

# Shrunk disagreements found by the long run, kept as regression tests (decision traces of
# grammar.py; new options are only ever appended so old traces keep their meaning).
REGRESSIONS: dict[str, tuple[int, ...]] = {}
# Disagreements that were the oracle's fault, not the scanner's: benign samples the oracle once
# called malicious. Run 2026-12-01 (5,600 samples): a rot13-computed name made the codec
# registry import encodings.rot_13, which the oracle counted as an unexpected import.
ORACLE_CALIBRATION: dict[str, tuple[int, ...]] = {
    "rot13-name-of-OrderedDict": (3, 0, 0, 1, 5, 0, 0, 0, 0, 0),
    "rot13-name-of-bytearray": (3, 3, 0, 0, 1, 0, 5, 0, 0, 0, 0),
}


def test_seeded_campaign_finds_no_disagreement(oracle: Oracle, tmp_path: Path) -> None:
    stats = run_campaign(oracle, samples=24, seed=20261201, work=tmp_path, shrink_bugs=False)
    assert stats.samples == 24
    assert stats.oracle_malicious > 0  # the grammar does produce working attacks
    bugs = [f"{d.sample.target}: {d.sample.description}" for d in stats.disagreements]
    assert not bugs, bugs


def test_shrunk_disagreements_stay_fixed(oracle: Oracle, tmp_path: Path) -> None:
    for name, trace in REGRESSIONS.items():
        sample = generate(ReplayChooser(trace))
        verdict, flagged = judge(oracle, sample, tmp_path)
        assert flagged or not verdict.malicious, (name, verdict.explain())


@pytest.mark.parametrize("name", sorted(ORACLE_CALIBRATION))
def test_benign_generated_sample_is_quiet(name: str, oracle: Oracle, tmp_path: Path) -> None:
    sample = generate(ReplayChooser(ORACLE_CALIBRATION[name]))
    assert not sample.malicious_intent
    verdict, flagged = judge(oracle, sample, tmp_path)
    assert not verdict.malicious, verdict.explain()
    assert not flagged
