"""Fleet-scan benchmark: throughput, bytes read vs stored, scaling, memory, re-scan costs.

    python benchmarks/fleet/generate.py /tmp/fleet --files 5000 --large 2 --large-mb 512
    python benchmarks/fleet/bench.py /tmp/fleet --jobs 1 2 [--ray 1 2] --json /tmp/fleet.json

Each configuration starts from an empty cache (cold: hash + scan). Then, on the last
configuration's cache: a warm re-run (nothing changed), and a policy change (one more allowed
callable: every file re-scanned, none re-hashed). Bytes read are ``read(2)`` bytes of the
scanning processes (``/proc/self/io`` rchar); bare pickles are memory-mapped and read whole,
so their size is added as an upper bound ("read, upper bound").
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from mlsvs.fleet.codec import report_from_json  # noqa: E402
from mlsvs.fleet.engine import LocalEngine, RayEngine  # noqa: E402
from mlsvs.fleet.run import fleet_scan  # noqa: E402
from mlsvs.fleet.sources import Endpoints  # noqa: E402
from mlsvs.scanner.report import ScanOptions  # noqa: E402

_PICKLES = {"pickle", "joblib", "pytorch_legacy"}


def _one(tree: Path, cache: Path, engine: object, options: ScanOptions) -> dict[str, object]:
    began = time.perf_counter()
    run = fleet_scan(
        [str(tree)],
        cache_path=cache,
        options=options,
        engine=engine,  # type: ignore[arg-type]
        endpoints=Endpoints(),
    )
    seconds = time.perf_counter() - began
    s = run.stats
    fresh = [r for r in run.rows if not r.cached]
    mapped = sum(r.size for r in fresh if json.loads(r.report)["format"] in _PICKLES)
    by_format: dict[str, list[int]] = {}
    for r in fresh:
        entry = by_format.setdefault(json.loads(r.report)["format"], [0, 0, 0])
        entry[0] += 1
        entry[1] += r.size
        entry[2] += r.fetched
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--ray", type=int, nargs="*", default=[])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    options = ScanOptions()
    configs: list[tuple[str, object]] = [(f"local-{j}", LocalEngine(jobs=j)) for j in args.jobs]
    configs += [(f"ray-{n}", RayEngine(jobs=n)) for n in args.ray]
    done: list[tuple[Path, object]] = []
    for name, engine in configs:
        cache = work / f"{name}.sqlite"
        try:
            results[name] = _one(args.tree, cache, engine, options)
            done.append((cache, engine))
        except Exception as exc:  # a Ray cluster that cannot start here is reported, not hidden
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(name, json.dumps(results[name]), flush=True)
    last, engine = done[-1]  # the re-runs use the last configuration that ran
    results["warm-rerun"] = _one(args.tree, last, engine, options)
    print("warm-rerun", json.dumps(results["warm-rerun"]), flush=True)
    changed = ScanOptions(allow=frozenset({"collections.OrderedDict"}))
    results["policy-change"] = _one(args.tree, last, engine, changed)
    print("policy-change", json.dumps(results["policy-change"]), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
