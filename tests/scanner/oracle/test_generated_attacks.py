"""A short seeded run of the generated-attack campaign (the long run: benchmarks/scanner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.campaign import judge, judge_layout, run_campaign, run_layout_campaign
from tests.scanner.oracle.formats import FAMILIES, generate_layout
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


# Layout samples (tests/scanner/oracle/formats.py) a loader is exploited by that the scanner
# once judged clean: (families, trace). None found so far (see the closing note's long run).
LAYOUT_REGRESSIONS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}


def test_seeded_layout_campaign_finds_no_disagreement(oracle: Oracle, tmp_path: Path) -> None:
    stats = run_layout_campaign(oracle, samples=12, seed=20261202, work=tmp_path,
                                shrink_bugs=False)  # fmt: skip
    assert stats.samples == 12
    bugs = [f"{d.sample.target}: {d.sample.description}" for d in stats.disagreements]
    assert not bugs, bugs


# The simplest sample of each family (every decision 0: malicious intent, first layout). ONNX
# external data outside the folder is refused by onnx >= 1.16: flagged, not exploitable.
_EXPLOITED = {"keras": True, "onnx": False, "gguf": True, "torch": True, "bundle": True,
              "extract": True}  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_simplest_layout_of_each_family(family: str, oracle: Oracle, tmp_path: Path) -> None:
    sample = generate_layout(ReplayChooser([FAMILIES.index(family)]))
    assert sample.family == family and sample.malicious_intent
    verdict, flagged = judge_layout(oracle, sample, tmp_path)
    assert verdict.malicious is _EXPLOITED[family], verdict.explain()
    assert flagged, sample.description


def test_shrunk_layout_disagreements_stay_fixed(oracle: Oracle, tmp_path: Path) -> None:
    for name, (families, trace) in LAYOUT_REGRESSIONS.items():
        sample = generate_layout(ReplayChooser(trace), families)
        verdict, flagged = judge_layout(oracle, sample, tmp_path)
        assert flagged or not verdict.malicious, (name, verdict.explain())


# Layout disagreements that were the oracle's fault (benign samples it once called malicious).
# Long run 2026-12-02, seed 1000: torch.load of a raw pickle unpacked from a bundle opens it with
# Python's open(), outside the sample's folder: the unpacked folder is now part of the sample.
LAYOUT_CALIBRATION: dict[str, tuple[int, ...]] = {
    "raw-pickle-unpacked-from-7z": (4, 3, 0, 2, 1, 1, 5),
}


@pytest.mark.parametrize("name", sorted(LAYOUT_CALIBRATION))
def test_benign_layout_is_quiet(name: str, oracle: Oracle, tmp_path: Path) -> None:
    sample = generate_layout(ReplayChooser(LAYOUT_CALIBRATION[name]))
    assert not sample.malicious_intent
    verdict, flagged = judge_layout(oracle, sample, tmp_path)
    assert not verdict.malicious, verdict.explain()
    assert not flagged
