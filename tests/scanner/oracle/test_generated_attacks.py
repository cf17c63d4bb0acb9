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

# Shrunk disagreements found by the long run, kept as regression tests (decision traces).
REGRESSIONS: dict[str, tuple[int, ...]] = {}


def test_seeded_campaign_finds_no_disagreement(oracle: Oracle, tmp_path: Path) -> None:
    stats = run_campaign(oracle, samples=24, seed=20261201, work=tmp_path, shrink_bugs=False)
    assert stats.samples == 24
    assert stats.oracle_malicious > 0  # the grammar does produce working attacks
    bugs = [f"{d.sample.target}: {d.sample.description}" for d in stats.disagreements]
    assert not bugs, bugs


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_shrunk_disagreement_stays_fixed(name: str, oracle: Oracle, tmp_path: Path) -> None:
    sample = generate(ReplayChooser(REGRESSIONS[name]))
    verdict, flagged = judge(oracle, sample, tmp_path)
    assert flagged or not verdict.malicious, verdict.explain()
