"""Generated attacks judged by the oracle: oracle-malicious + scan-clean = a scanner bug."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mlsvs.scanner import scan_path
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

    sample: Sample
    verdict: OracleVerdict
    shrunk: Sample | None = None


@dataclass(slots=True)
class CampaignStats:
    """Counts of one run."""

    samples: int = 0
    oracle_malicious: int = 0
    scanner_flagged: int = 0
    scanner_only: int = 0
    """Flagged although no loader acted (conservative; e.g. a gadget with unusable arguments)."""
    disagreements: list[Disagreement] = field(default_factory=list)


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
        stats.samples += 1
        stats.oracle_malicious += verdict.malicious
        stats.scanner_flagged += flagged
        stats.scanner_only += flagged and not verdict.malicious
        if verdict.malicious and not flagged:
            bug = Disagreement(sample, verdict)
            if shrink_bugs:

                def still_bad(s: Sample) -> bool:
                    v, f = judge(oracle, s, work)
                    return v.malicious and not f

                bug.shrunk = shrink(sample.trace, still_bad)
            stats.disagreements.append(bug)
    return stats
