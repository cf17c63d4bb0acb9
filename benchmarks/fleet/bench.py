"""Fleet-scan benchmark: throughput, bytes read vs stored, scaling, memory, re-scan costs.

    python benchmarks/fleet/generate.py /tmp/fleet --files 5000 --large 2 --large-mb 512
    python benchmarks/fleet/bench.py /tmp/fleet --jobs 1 2 [--ray 1 2] --json /tmp/fleet.json \\
        [--task-mb 256 --task-files 256] [--no-reruns]

Each configuration starts from an empty cache (cold: hash + scan). Then, on the last
configuration's cache: a warm re-run (nothing changed), and a policy change (one more allowed
callable: every file re-scanned, none re-hashed). Bytes read are ``read(2)`` bytes of the
scanning processes (``/proc/self/io`` rchar); bare pickles are memory-mapped and read whole,
so their size is added as an upper bound ("read, upper bound").

CPU seconds (user + system) are those of this process and every process it started (pool
workers; the local Ray cluster's raylet, GCS and workers), sampled every 0.5 s by pid: on a
shared machine they, not wall time, say what a file costs. Load averages are recorded before
and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from mlsvs.fleet.codec import report_from_json  # noqa: E402
from mlsvs.fleet.engine import LocalEngine, RayEngine  # noqa: E402
from mlsvs.fleet.plan import Sizing  # noqa: E402
from mlsvs.fleet.run import fleet_scan  # noqa: E402
from mlsvs.fleet.sources import Endpoints  # noqa: E402
from mlsvs.scanner.report import ScanOptions  # noqa: E402

_PICKLES = {"pickle", "joblib", "pytorch_legacy"}


class CpuMeter:
    """CPU seconds of this process and of its descendants (by pid, cumulative times)."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process(os.getpid())
        self.seen: dict[int, float] = {}
        self.self_start = self._self()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _self() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    @staticmethod
    def reaped() -> float:
        """CPU seconds of reaped descendants (pool workers, once the pool has shut down)."""
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return c.ru_utime + c.ru_stime

    def _sample(self) -> None:
        import psutil

        for child in self.me.children(recursive=True):
            try:
                t = child.cpu_times()
            except psutil.Error:
                continue
            self.seen[child.pid] = max(self.seen.get(child.pid, 0.0), t.user + t.system)

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self._sample()

    def total(self) -> float:
        """Stop sampling; the CPU seconds used since the meter started."""
        self._sample()
        self.stop.set()
        self.thread.join()
        return self._self() - self.self_start + sum(self.seen.values())


def _one(
    tree: Path, cache: Path, engine: object, options: ScanOptions, sizing: Sizing
) -> dict[str, object]:
    load_before = os.getloadavg()
    reaped_before = CpuMeter.reaped()
    meter = CpuMeter()
    began = time.perf_counter()
    run = fleet_scan(
        [str(tree)],
        cache_path=cache,
        options=options,
        engine=engine,  # type: ignore[arg-type]
        endpoints=Endpoints(),
        sizing=sizing,
    )
    seconds = time.perf_counter() - began
    cpu = meter.total()
    reaped = CpuMeter.reaped() - reaped_before
    s = run.stats
    fresh = [r for r in run.rows if not r.cached]
    mapped = sum(r.size for r in fresh if json.loads(r.report)["format"] in _PICKLES)
    by_format: dict[str, list[int]] = {}
    for r in fresh:
        entry = by_format.setdefault(json.loads(r.report)["format"], [0, 0, 0])
        entry[0] += 1
        entry[1] += r.size
        entry[2] += r.fetched
    large = [r for r in fresh if r.size >= 1 << 30]
    statuses: dict[str, int] = {}
    for r in run.rows:
        rep = report_from_json(r.report, r.uri)
        key = "findings" if rep.hazards else ("not verified" if not rep.verified else "clean")
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "seconds": round(seconds, 2),
        "files": s.listed,
        "scanned": s.scanned,
        "cached": s.cached,
        "files_per_s": round(s.listed / seconds, 1),
        "cpu_s": round(cpu, 1),
        "cpu_s_per_1000_files": round(1000 * cpu / max(1, s.listed), 2),
        "cpu_s_reaped_children": round(reaped, 1),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "bytes_stored": s.bytes_stored,
        "bytes_hashed": s.bytes_hashed,
        "bytes_read_syscalls": s.bytes_fetched,
        "bytes_read_upper_bound": s.bytes_fetched + mapped,
        "read_fraction_upper_bound": round((s.bytes_fetched + mapped) / max(1, s.bytes_stored), 4),
        "stored_gb_per_s": round(s.bytes_stored / seconds / 1e9, 3),
        "read_gb_per_s_upper_bound": round((s.bytes_fetched + mapped) / seconds / 1e9, 3),
        "seconds_listing": round(s.seconds_listing, 2),
        "seconds_hashing": round(s.seconds_hashing, 2),
        "seconds_scanning": round(s.seconds_scanning, 2),
        "tasks": s.tasks,
        "workers": len(s.workers),
        "peak_worker_rss_mb": round(s.peak_rss / 2**20, 1),
        "statuses": statuses,
        "by_format_files_stored_read": by_format,
        "files_over_1gib_stored_read": [
            len(large),
            sum(r.size for r in large),
            sum(r.fetched for r in large),
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--ray", type=int, nargs="*", default=[])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--task-mb", type=int, default=256, help="estimated MB read per task")
    parser.add_argument("--task-files", type=int, default=256, help="files per task at most")
    parser.add_argument(
        "--no-reruns", action="store_true", help="cold runs only (no warm / policy-change run)"
    )
    args = parser.parse_args()
    sizing = Sizing(task_bytes=args.task_mb << 20, task_files=args.task_files)
    results: dict[str, object] = {
        "tree": str(args.tree),
        "task_mb": args.task_mb,
        "task_files": args.task_files,
        "cpus": os.cpu_count(),
    }
    work = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    options = ScanOptions()
    configs: list[tuple[str, object]] = [(f"local-{j}", LocalEngine(jobs=j)) for j in args.jobs]
    configs += [(f"ray-{n}", RayEngine(jobs=n)) for n in args.ray]
    done: list[tuple[Path, object]] = []
    for name, engine in configs:
        cache = work / f"{name}.sqlite"
        try:
            results[name] = _one(args.tree, cache, engine, options, sizing)
            done.append((cache, engine))
        except Exception as exc:  # a Ray cluster that cannot start here is reported, not hidden
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(name, json.dumps(results[name]), flush=True)
        if args.json:  # written after every run: a long benchmark stopped midway keeps its figures
            args.json.write_text(json.dumps(results, indent=2))
    if done and not args.no_reruns:
        last, engine = done[-1]  # the re-runs use the last configuration that ran
        results["warm-rerun"] = _one(args.tree, last, engine, options, sizing)
        print("warm-rerun", json.dumps(results["warm-rerun"]), flush=True)
        changed = ScanOptions(allow=frozenset({"collections.OrderedDict"}))
        results["policy-change"] = _one(args.tree, last, engine, changed, sizing)
        print("policy-change", json.dumps(results["policy-change"]), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
