"""Generated attacks judged by the oracle: oracle-malicious + scan-clean = a scanner bug."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mlsvs.scanner import scan_path
from tests.scanner.oracle.formats import FAMILIES, LayoutSample, generate_layout, shrink_layout
from tests.scanner.oracle.grammar import Chooser, Sample, generate, shrink
from tests.scanner.oracle.harness import Loader, Oracle, OracleVerdict

_LOADERS: dict[str, tuple[Loader, ...]] = {
    "model.pkl": (Loader.PICKLE_STREAM, Loader.JOBLIB),
    "weights.bin": (Loader.PICKLE_STREAM, Loader.TORCH),
    "model.pt": (Loader.TORCH,),
    "model.joblib": (Loader.JOBLIB,),
    "model.pkl.gz": (Loader.PANDAS,),
    "arr.npy": (Loader.NUMPY,),
}


@dataclass(slots=True)
class Disagreement:
    """A sample a real loader is exploited by while the scanner reports nothing."""

    sample: Sample | LayoutSample
    verdict: OracleVerdict
    shrunk: Sample | LayoutSample | None = None


@dataclass(slots=True)
class CampaignStats:
    """Counts of one run."""

    samples: int = 0
    oracle_malicious: int = 0
    scanner_flagged: int = 0
    scanner_only: int = 0
    """Flagged although no loader acted (conservative; e.g. a gadget with unusable arguments)."""
    false_alarms: int = 0
    """Benign-intent samples no loader acted on that the scanner still flagged (includes
    anomalies flagged by design: duplicate records, prefixed zips, custom ONNX domains)."""
    disagreements: list[Disagreement] = field(default_factory=list)
    per_layout: dict[str, list[int]] = field(default_factory=dict)
    false_alarm_samples: list[Sample | LayoutSample] = field(default_factory=list)
    """The first few false alarms, for a look (not bugs in the oracle's sense)."""
    """family -> [samples, oracle-malicious, flagged, flagged-but-inert, false alarms, bugs]."""

    def add(self, layout: str, intent: bool, malicious: bool, flagged: bool) -> None:
        """Count one judged sample."""
        row = self.per_layout.setdefault(layout, [0, 0, 0, 0, 0, 0])
        inert_flag = flagged and not malicious
        false_alarm = inert_flag and not intent
        bug = malicious and not flagged
        for i, v in enumerate((1, malicious, flagged, inert_flag, false_alarm, bug)):
            row[i] += int(v)
        self.samples += 1
        self.oracle_malicious += malicious
        self.scanner_flagged += flagged
        self.scanner_only += inert_flag
        self.false_alarms += false_alarm

    def merge(self, other: CampaignStats) -> None:
        """Add another run's counts to this one."""
        self.samples += other.samples
        self.oracle_malicious += other.oracle_malicious
        self.scanner_flagged += other.scanner_flagged
        self.scanner_only += other.scanner_only
        self.false_alarms += other.false_alarms
        self.disagreements += other.disagreements
        self.false_alarm_samples += other.false_alarm_samples[: 50 - len(self.false_alarm_samples)]
        for key, row in other.per_layout.items():
            mine = self.per_layout.setdefault(key, [0] * len(row))
            for i, v in enumerate(row):
                mine[i] += v


def judge(oracle: Oracle, sample: Sample, work: Path) -> tuple[OracleVerdict, bool]:
    """(oracle verdict, scanner reported anything) for one sample."""
    d = Path(tempfile.mkdtemp(dir=work))
    path = d / sample.filename
    path.write_bytes(sample.data)
    verdict = oracle.judge(path, _LOADERS[sample.filename], first_hit=True)
    return verdict, not scan_path(path).clean


def run_campaign(
    oracle: Oracle, *, samples: int, seed: int, work: Path, shrink_bugs: bool = True
) -> CampaignStats:
    """Generate ``samples`` programs from ``seed`` and compare the oracle with the scanner."""
    rng = random.Random(seed)
    stats = CampaignStats()
    for _ in range(samples):
        sample = generate(Chooser(lambda n, _label: rng.randrange(n)))
        verdict, flagged = judge(oracle, sample, work)
        stats.add(f"pickle/{sample.filename}", sample.malicious_intent, verdict.malicious, flagged)
        if flagged and not verdict.malicious and not sample.malicious_intent:
            stats.false_alarm_samples.append(sample)
        if verdict.malicious and not flagged:
            bug = Disagreement(sample, verdict)
            if shrink_bugs:

                def still_bad(s: Sample) -> bool:
                    v, f = judge(oracle, s, work)
                    return v.malicious and not f

                bug.shrunk = shrink(sample.trace, still_bad)
            stats.disagreements.append(bug)
    return stats


def write_layout(sample: LayoutSample, work: Path) -> Path:
    """Write the sample (side files, symlinks) into a fresh folder under ``work``; its path.

    ``work/outside.bin`` exists so that a location escaping the folder names a real file."""
    d = Path(tempfile.mkdtemp(dir=work))
    outside = work / "outside.bin"
    if not outside.exists():
        outside.write_bytes(b"\x00\x00\x80?")
    for name, data in sample.side_files:
        side = d / name
        side.parent.mkdir(parents=True, exist_ok=True)
        side.write_bytes(data)
    for name, target in sample.symlinks:
        (d / name).symlink_to(target)
    path = d / sample.filename
    path.write_bytes(sample.data)
    return path


def judge_layout(oracle: Oracle, sample: LayoutSample, work: Path) -> tuple[OracleVerdict, bool]:
    """(oracle verdict, scanner reported anything) for one layout sample, side files included.

    The scanner sees the sample's folder as a user would hand it over (side files and links
    included); the loaders see the main file."""
    path = write_layout(sample, work)
    loaders = tuple(Loader(v) for v in sample.loaders)
    verdict = oracle.judge(path, loaders, first_hit=True)
    return verdict, not scan_path(path).clean


def run_layout_campaign(
    oracle: Oracle,
    *,
    samples: int,
    seed: int,
    work: Path,
    families: tuple[str, ...] = FAMILIES,
    shrink_bugs: bool = True,
) -> CampaignStats:
    """Generate ``samples`` container/format layouts from ``seed``; compare oracle and scanner."""
    rng = random.Random(seed)
    stats = CampaignStats()
    for _ in range(samples):
        sample = generate_layout(Chooser(lambda n, _label: rng.randrange(n)), families)
        verdict, flagged = judge_layout(oracle, sample, work)
        stats.add(sample.family, sample.malicious_intent, verdict.malicious, flagged)
        if flagged and not verdict.malicious and not sample.malicious_intent:
            stats.false_alarm_samples.append(sample)
        if verdict.malicious and not flagged:
            bug = Disagreement(sample, verdict)
            if shrink_bugs:

                def still_bad(s: LayoutSample) -> bool:
                    v, f = judge_layout(oracle, s, work)
                    return v.malicious and not f

                bug.shrunk = shrink_layout(sample.trace, still_bad, families)
            stats.disagreements.append(bug)
    return stats
