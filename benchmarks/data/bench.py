"""Throughput of the dataset checks on a generated table (CSV and Parquet).

    python benchmarks/data/bench.py --rows 1000000 --out /tmp/data-bench.json

Generates (seeded) a train table of ``--rows`` rows and a test table of ``rows/10`` rows with
1 % of the test rows copied from train (a third verbatim, a third re-cased and re-spaced, a
third with two characters appended to the free text), then times:

* manifest: ``build_manifest`` of both files (file SHA-256) and with ``--records`` (row hashes);
* pii: ``scan_pii`` over the train table (an e-mail column, a phone column, free text, numbers);
* overlap: ``find_overlap`` train vs test, numeric columns only (exact + quantised near
  duplicates) and with the free-text column (adds MinHash LSH).

Rows per second = rows read / wall seconds. Each step runs in a fresh spawned process, whose peak
RSS (``VmHWM``, imports included) is reported, so bounded memory can be checked. Markdown is
printed; JSON is written with ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["late", "delivery", "damaged", "box", "refund", "great", "service", "slow", "support", "broken", "screen", "excellent", "value", "battery", "cable", "charger", "works", "fine", "would", "buy", "again"]  # fmt: skip


def generate(directory: Path, rows: int, seed: int) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)

    def table(n: int, offset: int) -> dict[str, object]:
        ids = np.arange(offset, offset + n)
        words = np.array(WORDS)[rng.integers(0, len(WORDS), size=(n, 6))]
        return {
            "customer_id": [f"c{i}" for i in ids],
            "email": [f"user{i}@example.com" if i % 10 == 0 else "" for i in ids],
            "phone": [f"+44 20 7946 {i % 10000:04d}" if i % 25 == 0 else "" for i in ids],
            "amount": np.round(rng.lognormal(3.5, 0.6, n), 2),
            "ratio": np.round(rng.uniform(0, 1, n), 4),
            "count": rng.integers(0, 50, n),
            "comment": [" ".join(w) + f" order {i}" for i, w in zip(ids, words, strict=True)],
            "label": rng.integers(0, 2, n),
        }

    train = table(rows, 0)
    test = table(rows // 10, rows)
    leak = max(1, rows // 1000)  # 1 % of the test rows
    picks = rng.choice(rows, size=leak, replace=False)
    for j, i in enumerate(picks):
        for column in ("amount", "ratio", "count", "label"):
            test[column][j] = train[column][i]  # type: ignore[index]
        test["comment"][j] = train["comment"][i]  # type: ignore[index]
        if j % 3 == 1:  # exact after normalisation
            test["comment"][j] = "  " + str(train["comment"][i]).upper()  # type: ignore[index]
        elif j % 3 == 2:  # near duplicate: only the text-aware (MinHash) pass can see it
            test["comment"][j] = str(train["comment"][i]) + " !!"  # type: ignore[index]
    paths: dict[str, Path] = {}
    for name, columns in (("train", train), ("test", test)):
        arrow = pa.table(columns)
        paths[f"{name}.csv"] = directory / f"{name}.csv"
        paths[f"{name}.parquet"] = directory / f"{name}.parquet"
        pacsv.write_csv(arrow, paths[f"{name}.csv"])
        pq.write_table(arrow, paths[f"{name}.parquet"], row_group_size=65_536)
    return paths


def _step(kind: str, fmt: str, directory: str) -> tuple[float, object, float]:
    """One measured step, run in a fresh spawned process: (seconds, summary, peak RSS MiB)."""
    from mlsvs.datacheck.manifest import build_manifest
    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.pii_scan import scan_pii
    from mlsvs.datacheck.table import source_for

    base = Path(directory)
    train = source_for(base / f"train.{fmt}", f"train.{fmt}")
    test = source_for(base / f"test.{fmt}", f"test.{fmt}")
    now = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    summary: object = None
    if kind == "manifest":
        build_manifest(base, [f"train.{fmt}", f"test.{fmt}"], now=now)
    elif kind == "records":
        build_manifest(base, [f"train.{fmt}", f"test.{fmt}"], records=True, now=now)
    elif kind == "pii":
        summary = scan_pii(train).by_entity()
    else:
        exclude = {"customer_id", "email", "phone"} | ({"comment"} if kind == "numeric" else set())
        found = find_overlap([train], [test], OverlapParams(exclude=frozenset(exclude)))
        summary = [found.exact, found.near]
    seconds = time.perf_counter() - start
    return seconds, summary, _peak_mib()


def _peak_mib() -> float:
    """This process's peak RSS (VmHWM; ``ru_maxrss`` would include the forking parent's)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


STEPS = (
    ("manifest", "manifest sha256"),
    ("records", "manifest --records"),
    ("pii", "pii scan"),
    ("numeric", "overlap exact+quantised"),
    ("text", "overlap + MinHash text"),
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="write the generated files here")
    args = parser.parse_args()

    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = generate(directory, args.rows, args.seed)
        generated = time.perf_counter() - start
        n_train, n_test = args.rows, args.rows // 10
        found: dict[str, object] = {}
        context = multiprocessing.get_context("spawn")
        for fmt in ("csv", "parquet"):
            for kind, label in STEPS:
                rows = n_train if kind == "pii" else n_train + n_test
                with context.Pool(1) as pool:
                    seconds, summary, rss = pool.apply(_step, (kind, fmt, str(directory)))
                step = f"{label} ({fmt})"
                results.append({"step": step, "rows": rows, "seconds": round(seconds, 2),
                                "rows_per_s": round(rows / seconds), "peak_rss_mb": round(rss)})  # fmt: skip
                if summary is not None:
                    found[step] = summary
                print(f"{step}: {rows / seconds:,.0f} rows/s, {rss:.0f} MiB", file=sys.stderr)
        sizes = {k: round(v.stat().st_size / 2**20, 1) for k, v in paths.items()}
    doc = {
        "rows_train": n_train, "rows_test": n_test, "seed": args.seed,
        "generated_s": round(generated, 1), "file_mb": sizes, "found": found,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_avg": os.getloadavg(), "results": results,
    }  # fmt: skip
    print("| step | rows | seconds | rows/s | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['step']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_s']:,} | "
              f"{r['peak_rss_mb']} |")  # fmt: skip
    print(f"\nfound: {json.dumps(found)}\nfiles (MiB): {json.dumps(sizes)}")
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
