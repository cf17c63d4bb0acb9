"""Split-leakage benchmark: ``find_overlap`` (one process) vs the Ray Data path, same answer.

    python benchmarks/fleet/bench_data.py /tmp/leak --rows 1000000 --test-rows 100000 \\
        [--text] [--ray 1 2] [--inprocess] --json out.json

Writes a Parquet training split (``--rows``, row groups of 128 Ki rows, 4 files) and an
evaluation split (``--test-rows``) with 5 % exact and 5 % numeric near copies of training rows
(``--text``: a 12-word text column, MinHash on), then times each engine from cold (no cache
exists) and checks that every engine's ``Overlap`` equals the single-machine one. Memory: peak
RSS of this process and, sampled every 0.2 s, of every Ray worker process (per process and
summed).
"""

from __future__ import annotations

import argparse
import json
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
    if args.inprocess:
        t = time.perf_counter()
        got = distributed_overlap(train, test, params, names=("train", "test"), engine=InProcess())
        seconds = time.perf_counter() - t
        results["in-process-partitioned"] = {
            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "same": got == reference,
        }  # fmt: skip
        print("in-process", json.dumps(results["in-process-partitioned"]), flush=True)
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
        except Exception as exc:  # a Ray that cannot start here is reported
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(name, json.dumps(results[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
