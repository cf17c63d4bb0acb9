"""Throughput of the dataset checks on a generated table (CSV and Parquet).

    python benchmarks/data/bench.py --rows 1000000 --out /tmp/data-bench.json

Generates (seeded) a train table of ``--rows`` rows and a test table of ``rows/10`` rows with
1 % of the test rows copied from train (a third verbatim, a third re-cased and re-spaced, a
third with two characters appended to the free text), then times:

* manifest: ``build_manifest`` of both files (file SHA-256) and with ``--records`` (row hashes);
* pii: ``scan_pii`` over the train table (an e-mail column, a phone column, free text, numbers);
* overlap: ``find_overlap`` train vs test, numeric columns only (exact + quantised near
  duplicates) and with the free-text column (adds MinHash LSH).

Rows per second = rows read / wall seconds. Peak RSS (``ru_maxrss``) is recorded after each step
so bounded memory can be checked. Markdown is printed; JSON is written with ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rows: int, fn, results: list[dict[str, object]]) -> object:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    results.append({"step": label, "rows": rows, "seconds": round(seconds, 2),
                    "rows_per_s": round(rows / seconds), "peak_rss_mb": round(rss_mb())})  # fmt: skip
    print(
        f"{label}: {rows} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s", file=sys.stderr
    )
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="write the generated files here")
    args = parser.parse_args()

    from mlsvs.datacheck.manifest import build_manifest
    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.pii_scan import scan_pii
    from mlsvs.datacheck.table import source_for

    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = generate(directory, args.rows, args.seed)
        generated = time.perf_counter() - start
        n_train, n_test = args.rows, args.rows // 10
        now = dt.datetime.now(dt.UTC)
        leaks: dict[str, object] = {}
        for fmt in ("csv", "parquet"):
            train = source_for(paths[f"train.{fmt}"], f"train.{fmt}")
            test = source_for(paths[f"test.{fmt}"], f"test.{fmt}")
            names = [f"train.{fmt}", f"test.{fmt}"]
            total = n_train + n_test
            timed(
                f"manifest sha256 ({fmt})",
                total,
                lambda names=names: build_manifest(directory, names, now=now),
                results,
            )
            timed(
                f"manifest --records ({fmt})",
                total,
                lambda names=names: build_manifest(directory, names, records=True, now=now),
                results,
            )
            report = timed(
                f"pii scan ({fmt})", n_train, lambda train=train: scan_pii(train), results
            )
            leaks[f"pii {fmt}"] = report.by_entity()  # type: ignore[attr-defined]
            numeric = OverlapParams(exclude=frozenset({"customer_id", "email", "phone", "comment"}))
            found = timed(
                f"overlap exact+quantised ({fmt})",
                total,
                lambda train=train, test=test, numeric=numeric: find_overlap(
                    [train], [test], numeric
                ),
                results,
            )
            leaks[f"overlap numeric {fmt}"] = (found.exact, found.near)  # type: ignore[attr-defined]
            text = OverlapParams(exclude=frozenset({"customer_id", "email", "phone"}))
            found = timed(
                f"overlap + MinHash text ({fmt})",
                total,
                lambda train=train, test=test, text=text: find_overlap([train], [test], text),
                results,
            )
            leaks[f"overlap text {fmt}"] = (found.exact, found.near)  # type: ignore[attr-defined]
        sizes = {k: round(v.stat().st_size / 2**20, 1) for k, v in paths.items()}
    doc = {
        "rows_train": n_train, "rows_test": n_test, "seed": args.seed,
        "generated_s": round(generated, 1), "file_mb": sizes, "found": leaks,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_avg": os.getloadavg(), "results": results,
    }  # fmt: skip
    print("| step | rows | seconds | rows/s | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['step']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_s']:,} | "
              f"{r['peak_rss_mb']} |")  # fmt: skip
    print(f"\nfound: {json.dumps(leaks)}\nfiles (MiB): {json.dumps(sizes)}")
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
