"""Long generated-attack run: grammar-generated pickle programs judged by the real-loader oracle.

Every sample is built from tests/scanner/oracle/grammar.py (gadget x naming x call opcode x
wrapping x container), run by the real loaders in the oracle's throwaway children, and scanned
by mlsvs. A disagreement (a loader was exploited, the scan reported nothing) is shrunk and
printed as a decision trace to add to REGRESSIONS in tests/scanner/oracle/test_generated_attacks.py.

    KERAS_BACKEND=torch python benchmarks/scanner/fuzz_oracle.py --samples 2000 --seed 1
    KERAS_BACKEND=torch python benchmarks/scanner/fuzz_oracle.py --minutes 120
    KERAS_BACKEND=torch python benchmarks/scanner/fuzz_oracle.py --grammar layouts --minutes 60

``--grammar layouts`` generates container and format layouts (tests/scanner/oracle/formats.py:
keras, onnx, gguf, torch zip records, tar/zip/7z bundles); ``all`` (default) alternates batches
of pickle programs and layouts. Counts are printed per layout family.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tests.scanner.oracle.campaign import CampaignStats, run_campaign, run_layout_campaign
    from tests.scanner.oracle.harness import Oracle

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=500, help="samples per batch")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=0, help="keep going for this long")
    parser.add_argument("--out", type=Path, help="write disagreements (JSON) here")
    parser.add_argument("--grammar", choices=("pickle", "layouts", "all"), default="all")
    args = parser.parse_args()
    total = CampaignStats()
    start = time.perf_counter()
    seed = args.seed
    with Oracle() as oracle, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        while True:
            if args.grammar in ("pickle", "all"):
                total.merge(run_campaign(oracle, samples=args.samples, seed=seed, work=Path(tmp)))
            if args.grammar in ("layouts", "all"):
                total.merge(
                    run_layout_campaign(oracle, samples=args.samples, seed=seed, work=Path(tmp))
                )
            print(f"[{time.perf_counter() - start:.0f} s] seed {seed}: {total.samples} samples, "
                  f"{len(total.disagreements)} disagreements", flush=True)  # fmt: skip
            seed += 1
            if time.perf_counter() - start >= args.minutes * 60:
                break
        elapsed = time.perf_counter() - started
    print(f"samples: {total.samples}  oracle-malicious: {total.oracle_malicious}  "
          f"scanner-flagged: {total.scanner_flagged}  flagged-but-inert: {total.scanner_only}  "
          f"benign-flagged: {total.false_alarms}  "
          f"disagreements: {len(total.disagreements)}  ({elapsed:.0f} s, "
          f"{elapsed / max(total.samples, 1):.2f} s/sample; shared machine)")  # fmt: skip
    print("layout                samples  malicious  flagged  inert-flagged  benign-flagged  bugs")
    for key, row in sorted(total.per_layout.items()):
        print(
            f"{key:<22}"
            + "".join(f"{v:>{w}}" for v, w in zip(row, (7, 11, 9, 15, 16, 6), strict=True))
        )
    found = []
    for d in total.disagreements:
        shrunk = d.shrunk or d.sample
        print(f"DISAGREEMENT {shrunk.target}: {shrunk.description} trace={list(shrunk.trace)}")
        print("  " + d.verdict.explain().replace("\n", "\n  "))
        found.append({"target": shrunk.target, "description": shrunk.description,
                      "trace": list(shrunk.trace)})  # fmt: skip
    alarms = [{"target": s.target, "description": s.description, "trace": list(s.trace)}
              for s in total.false_alarm_samples]  # fmt: skip
    for a in alarms[:20]:
        print(f"BENIGN-FLAGGED {a['target']}: {a['description'][:200]} trace={a['trace']}")
    if args.out:
        args.out.write_text(json.dumps({"disagreements": found, "false_alarms": alarms,
                                        "per_layout": total.per_layout}, indent=1))  # fmt: skip
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
