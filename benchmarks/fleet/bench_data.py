"""Split-leakage benchmark: ``find_overlap`` (one process) vs the Ray Data path, same answer.

    python benchmarks/fleet/bench_data.py /tmp/leak --rows 1000000 --test-rows 100000 \\
        [--text] [--pii] [--ray 1 2] [--inprocess] --json out.json

Writes a Parquet training split (``--rows``, row groups of 128 Ki rows, 4 files) and an
evaluation split (``--test-rows``) with 5 % exact and 5 % numeric near copies of training rows
(``--text``: a 12-word text column, MinHash on), then times each engine from cold (no cache
exists) and checks that every engine's ``Overlap`` equals the single-machine one. Memory: peak
RSS of this process and, sampled every 0.2 s, of every Ray worker process (per process and
summed).

``--pii`` also writes a PII dataset (``--rows`` rows, 4 Parquet files: an id, a free-text note
of which 2 % carry an e-mail address and 1 % a phone number, a numeric column) and times
``scan_pii`` per file against ``distributed_pii`` (Ray tasks per run of row groups), checking
the reports are equal.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

WORDS = [f"w{i}" for i in range(400)]


def generate(out: Path, rows: int, test_rows: int, text: bool) -> tuple[list[Path], list[Path]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    marker = out / f"done-{rows}-{test_rows}-{int(text)}"
    train_paths = [out / f"train-{i}.parquet" for i in range(4)]
    test_paths = [out / "test.parquet"]
    if marker.exists():
        return train_paths, test_paths
    rng = np.random.default_rng(7)
    cols = {
        "id": np.arange(rows),
        "x": rng.uniform(0, 1000, rows).round(6),
        "y": rng.integers(0, 10_000, rows),
        "c": rng.choice(np.array(["red", "green", "blue", "amber"]), rows),
    }
    if text:
        r = random.Random(7)
        cols["t"] = np.array([" ".join(r.choices(WORDS, k=12)) for _ in range(rows)])
    train = pa.table(cols)
    for i, path in enumerate(train_paths):
        part = train.slice(i * (rows // 4), rows // 4 if i < 3 else rows - 3 * (rows // 4))
        pq.write_table(part, path, row_group_size=131_072)
    pick = rng.choice(rows, test_rows // 10, replace=False)
    copies = train.take(pick).to_pydict()
    half = len(pick) // 2
    copies["x"] = [v if i < half else v * (1 + 1e-7) for i, v in enumerate(copies["x"])]
    n = test_rows - len(pick)
    fresh = {
        "id": list(range(10**9, 10**9 + n)),
        "x": rng.uniform(2000, 3000, n).round(6).tolist(),
        "y": rng.integers(0, 10_000, n).tolist(),
        "c": ["violet"] * n,
    }
    if text:
        r = random.Random(8)
        fresh["t"] = [" ".join(r.choices(WORDS, k=12)) for _ in range(n)]
    test = pa.concat_tables([pa.table(copies), pa.Table.from_pydict(fresh, schema=train.schema)])
    pq.write_table(test, test_paths[0], row_group_size=131_072)
    marker.touch()
    return train_paths, test_paths


def generate_pii(out: Path, rows: int) -> list[Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = [out / f"pii-{i}.parquet" for i in range(4)]
    marker = out / f"done-pii-{rows}"
    if marker.exists():
        return paths
    rng = np.random.default_rng(9)
    r = random.Random(9)
    words = np.array(WORDS)
    per = rows // 4
    for i, path in enumerate(paths):
        n = per if i < 3 else rows - 3 * per
        notes = [" ".join(words[rng.integers(0, len(words), 8)]) for _ in range(n)]
        for j in range(n):
            roll = r.random()
            if roll < 0.02:
                notes[j] += f" contact user{j}.{i}@example.com"
            elif roll < 0.03:
                notes[j] += f" call +44 20 7946 {r.randint(0, 9999):04d}"
        table = pa.table(
            {
                "id": np.arange(i * per, i * per + n),
                "note": notes,
                "amount": rng.uniform(0, 1000, n).round(2),
            }
        )
        pq.write_table(table, path, row_group_size=131_072)
    marker.touch()
    return paths


class Sampler:
    """Peak RSS of Ray worker processes (``ray::`` titles), per process and summed."""

    def __init__(self) -> None:
        self.peak_one = 0
        self.peak_sum = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.2):
            total = 0
            for proc in psutil.process_iter(["name", "cmdline", "memory_info"]):
                title = " ".join(proc.info.get("cmdline") or [])
                if title.startswith("ray::") and proc.info.get("memory_info"):
                    rss = proc.info["memory_info"].rss
                    total += rss
                    self.peak_one = max(self.peak_one, rss)
            self.peak_sum = max(self.peak_sum, total)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--test-rows", type=int, default=100_000)
    parser.add_argument("--text", action="store_true")
    parser.add_argument("--ray", type=int, nargs="*", default=[])
    parser.add_argument("--inprocess", action="store_true")
    parser.add_argument("--pii", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.table import source_for
    from mlsvs.fleet.data import InProcess, distributed_overlap, ray_session

    began = time.perf_counter()
    train_paths, test_paths = generate(args.out, args.rows, args.test_rows, args.text)
    stored = sum(p.stat().st_size for p in (*train_paths, *test_paths))
    results: dict[str, object] = {
        "rows": args.rows, "test_rows": args.test_rows, "text": args.text,
        "parquet_bytes": stored, "generate_s": round(time.perf_counter() - began, 1),
        "load_avg_start": list(os.getloadavg()),
    }  # fmt: skip
    train = [source_for(p, p.name) for p in train_paths]
    test = [source_for(p, p.name) for p in test_paths]
    params = OverlapParams(exclude=frozenset({"id"}))
    rows = args.rows + args.test_rows

    t = time.perf_counter()
    reference = find_overlap(train, test, params, names=("train", "test"))
    seconds = time.perf_counter() - t
    results["single-machine"] = {
        "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
        "exact": reference.exact, "near": reference.near,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }  # fmt: skip
    print("single-machine", json.dumps(results["single-machine"]), flush=True)
    pii_paths: list[Path] = []
    pii_reference: list[object] = []
    if args.pii:
        from mlsvs.datacheck.pii_scan import scan_pii

        t = time.perf_counter()
        pii_paths = generate_pii(args.out, args.rows)
        results["pii_generate_s"] = round(time.perf_counter() - t, 1)
        results["pii_parquet_bytes"] = sum(p.stat().st_size for p in pii_paths)
        t = time.perf_counter()
        pii_reference = [scan_pii(source_for(p, str(p))) for p in pii_paths]
        seconds = time.perf_counter() - t
        results["pii-single-machine"] = {
            "seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }  # fmt: skip
        print("pii-single-machine", json.dumps(results["pii-single-machine"]), flush=True)
    if args.inprocess:
        t = time.perf_counter()
        got = distributed_overlap(train, test, params, names=("train", "test"), engine=InProcess())
        seconds = time.perf_counter() - t
        results["in-process-partitioned"] = {
            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "same": got == reference,
        }  # fmt: skip
        print("in-process", json.dumps(results["in-process-partitioned"]), flush=True)
    results["load_avg_before_ray"] = list(os.getloadavg())
    for cpus in args.ray:
        name = f"ray-{cpus}"
        try:
            t0 = time.perf_counter()
            with ray_session("", cpus):
                start = time.perf_counter() - t0
                sampler = Sampler()
                t = time.perf_counter()
                got = distributed_overlap(train, test, params, names=("train", "test"))
                seconds = time.perf_counter() - t
                sampler.stop.set()
                results[name] = {
                    "start_s": round(start, 1), "seconds": round(seconds, 2),
                    "rows_per_s": round(rows / seconds), "same": got == reference,
                    "peak_worker_rss_mb": round(sampler.peak_one / 2**20, 1),
                    "peak_workers_rss_sum_mb": round(sampler.peak_sum / 2**20, 1),
                }  # fmt: skip
                if pii_paths:
                    from mlsvs.fleet.data import distributed_pii

                    sampler = Sampler()
                    t = time.perf_counter()
                    pii = distributed_pii(pii_paths, max_rows=0, address="", jobs=cpus)
                    seconds = time.perf_counter() - t
                    sampler.stop.set()
                    results[f"pii-{name}"] = {
                        "seconds": round(seconds, 2), "rows_per_s": round(args.rows / seconds),
                        "same": pii == pii_reference,
                        "peak_worker_rss_mb": round(sampler.peak_one / 2**20, 1),
                    }  # fmt: skip
                    print(f"pii-{name}", json.dumps(results[f"pii-{name}"]), flush=True)
        except Exception as exc:  # a Ray that cannot start here is reported
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(name, json.dumps(results[name]), flush=True)
    results["load_avg_end"] = list(os.getloadavg())
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
