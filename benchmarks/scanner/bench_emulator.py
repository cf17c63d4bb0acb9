"""Pickle emulator speed on real files (opcodes per second), and the budget cases.

    python benchmarks/scanner/bench_emulator.py [--src OTHER_SRC]

Files: a 19M-opcode / 38 MB list pickle (the case from issue 11), a 300k-entry vocabulary dict, a
protocol-0 list of 100k triples and a 100k-entry protocol-0 vocabulary,
a random forest pickled at protocols 0 and 4, a torch state dict's data.pkl. Each is emulated
with ``run_stream`` (all streams, no I/O) three times; the best run's CPU time is reported (on
a shared machine wall time swings by 2x or more; CPU time much less).
"""

from __future__ import annotations

import io
import pickle
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if "--src" in sys.argv:  # another mlsvs src/ tree (e.g. git archive HEAD~1 src | tar -x)
    sys.path.insert(0, sys.argv[sys.argv.index("--src") + 1])
else:
    sys.path.insert(0, str(ROOT / "src"))


def _files() -> dict[str, bytes]:
    import numpy as np
    import torch
    from sklearn.ensemble import RandomForestClassifier

    x = np.random.default_rng(0).normal(size=(300, 4))
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(x, x[:, 0] > 0)
    buf = io.BytesIO()
    sd = {f"layer{i}.{k}": torch.zeros(2) for i in range(400) for k in ("weight", "bias")}
    torch.save(sd, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        data_pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return {
        "list 19M ints (38 MB)": pickle.dumps([i % 256 for i in range(19_000_000)], protocol=4),
        "vocab 300k str->int": pickle.dumps({f"tok{i}": i for i in range(300_000)}, protocol=4),
        "list 100k [int, float, int] p0": pickle.dumps(
            [[i, float(i), i * 7] for i in range(100_000)], protocol=0
        ),
        "vocab 100k str->int p0": pickle.dumps({f"tok{i}": i for i in range(100_000)}, protocol=0),
        "random forest p0": pickle.dumps(forest, protocol=0),
        "random forest p4": pickle.dumps(forest, protocol=4),
        "torch state dict data.pkl": data_pkl,
    }


def main() -> int:
    from mlsvs.scanner.pickle_vm import Budget, run_stream

    print("| file | bytes | opcodes | best time (s) | opcodes/s |")
    print("|---|---|---|---|---|")
    for name, data in _files().items():
        best = float("inf")
        ops = 0
        for _ in range(3):
            start = time.process_time()
            result = run_stream(data, 0, Budget(opcodes=10**9))
            best = min(best, time.process_time() - start)
            ops = result.ops
            assert result.error is None, result.error
        print(f"| {name} | {len(data):,} | {ops:,} | {best:.3f} | {ops / best:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
