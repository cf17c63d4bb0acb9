"""Command-line start-up and directory-scan times, side by side with picklescan and modelscan.

    PYTHONPATH=src python benchmarks/scanner/bench_cli.py --corpus DIR [--big FILE] \
        [--before OTHER_SRC] [--venv VENV] [-n 7]

Every command runs ``-n`` times, interleaved, in fresh interpreters; the table gives the
fastest and the median wall time and the fastest CPU time (user + system of the child, which
a loaded machine inflates much less than wall time). ``--before`` adds a second mlsvs source
tree (e.g. ``git archive HEAD~3 src | tar -x -C /tmp/before``) to compare against; ``--venv``
is where picklescan/modelscan are installed (default: on PATH). ``--big`` defaults to a sparse
2 GiB PyTorch checkpoint written to a temporary directory. Run ``python -m compileall -q src``
first when PYTHONDONTWRITEBYTECODE is set, as installed packages have their bytecode.

Directory-scan parity (issue 11: "no slower than picklescan on the same tree in the same
run"), with hyperfine (``apt-get install hyperfine``) on two trees, the benchmark corpus and a
realistic model directory (``model_tree.py``; both generated unless given)::

    PYTHONPATH=src KERAS_BACKEND=torch python benchmarks/scanner/bench_cli.py --hyperfine \
        --venv VENV [--corpus DIR] [--models DIR] [--big FILE] [--tree NAME=DIR ...] \
        [--python PY] [-n 15]

``--tree`` adds any other tree (a repository checkout) to the same run; ``--big`` the 2 GiB
checkpoint (generated when not given).

``--python`` runs mlsvs under another interpreter, e.g. a venv holding only its scan
dependencies (jinja2, py7zr), so both tools start without the site-packages ``.pth`` hooks of
the development interpreter; the table says which.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="directory to scan")
    parser.add_argument("--big", type=Path, help="large checkpoint (default: sparse 2 GiB)")
    parser.add_argument("--before", type=Path, help="another mlsvs src/ tree to compare")
    parser.add_argument("--venv", type=Path, help="venv holding picklescan / modelscan")
    parser.add_argument("-n", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument("--hyperfine", action="store_true", help="directory-scan parity table")
    parser.add_argument("--models", type=Path, help="model directory (default: generated)")
    parser.add_argument("--python", type=Path, help="interpreter for mlsvs (default: this one)")
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="another tree for the parity table (repeatable)",
    )
    args = parser.parse_args()
    if args.hyperfine:
        return parity(args)
    if args.corpus is None:
        parser.error("--corpus is required without --hyperfine")

    with tempfile.TemporaryDirectory() as tmp:
        big = args.big
        if big is None:
            sys.path.insert(0, str(ROOT))
            from tests.scanner.scan_bigzip import sparse_checkpoint

            big = Path(tmp) / "big.pt"
            sparse_checkpoint(big, 2 * 1024**3, crc=True)
        trees = {"mlsvs": ROOT / "src"}
        if args.before:
            trees["mlsvs (before)"] = args.before
        bin_dir = args.venv / "bin" if args.venv else None

        def tool(name: str) -> str | None:
            if bin_dir is not None and (bin_dir / name).exists():
                return str(bin_dir / name)
            return shutil.which(name)

        rows: list[tuple[str, list[str], dict[str, str]]] = []
        base = dict(os.environ)
        rows.append(("python -c pass", [sys.executable, "-c", "pass"], base))
        for label, src in trees.items():
            env = {**base, "PYTHONPATH": str(src)}
            mlsvs = [sys.executable, "-m", "mlsvs"]
            rows.append((f"{label} --version", [*mlsvs, "--version"], env))
            rows.append((f"{label} scan BIG", [*mlsvs, "scan", str(big)], env))
            rows.append((f"{label} scan DIR", [*mlsvs, "scan", str(args.corpus)], env))
            rows.append(
                (f"{label} scan -j 2 DIR", [*mlsvs, "scan", "-j", "2", str(args.corpus)], env)
            )
        picklescan = tool("picklescan")
        if picklescan:
            rows.append(("picklescan BIG", [picklescan, "--path", str(big)], base))
            rows.append(("picklescan DIR", [picklescan, "--path", str(args.corpus)], base))
        modelscan = tool("modelscan")
        if modelscan:
            rows.append(("modelscan BIG", [modelscan, "-p", str(big)], base))
            rows.append(("modelscan DIR", [modelscan, "-p", str(args.corpus)], base))

        walls: dict[str, list[float]] = {r[0]: [] for r in rows}
        cpus: dict[str, list[float]] = {r[0]: [] for r in rows}
        load_start = os.getloadavg()
        for _ in range(args.n):
            for label, argv, env in rows:
                wall, cpu = _measure(argv, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
        load_end = os.getloadavg()
    print(
        f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}, {os.cpu_count()} CPUs, n={args.n}"
    )
    print("| command | wall min (s) | wall median (s) | CPU min (s) |")
    print("|---|---|---|---|")
    for label, _, _ in rows:
        print(
            f"| {label} | {min(walls[label]):.3f} | {statistics.median(walls[label]):.3f} | "
            f"{min(cpus[label]):.3f} |"
        )
    return 0


def parity(args: argparse.Namespace) -> int:
    """hyperfine, one run: mlsvs and picklescan on the corpus and on a model directory."""
    import json

    hyperfine = shutil.which("hyperfine")
    picklescan = (args.venv / "bin" / "picklescan") if args.venv else None
    if hyperfine is None or picklescan is None or not picklescan.exists():
        print("needs hyperfine on PATH and --venv with picklescan", file=sys.stderr)
        return 2
    python = str(args.python or sys.executable)
    # Run mlsvs the way users do, as its console script, when the interpreter's venv has one
    # (``pip install --no-deps -e .`` into the scan venv); picklescan runs as its own.
    script = Path(python).with_name("mlsvs")
    mlsvs = str(script) if script.exists() else f"{python} -m mlsvs"
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(ROOT))
        corpus, models = args.corpus, args.models
        if corpus is None:
            from benchmarks.scanner.run_benchmark import build_corpus

            corpus = Path(tmp) / "corpus"
            build_corpus(corpus)
        if models is None:
            from benchmarks.scanner.model_tree import build

            models = build(Path(tmp) / "models")
        big = args.big
        if big is None:
            from tests.scanner.scan_bigzip import sparse_checkpoint

            big = Path(tmp) / "big.pt"
            sparse_checkpoint(big, 2 * 1024**3, crc=True)
        trees = {"corpus": corpus, "models": models, "checkpoint": big}
        for spec in args.tree:
            name, _, directory = spec.partition("=")
            trees[name] = Path(directory)
        commands = {
            "python -c pass (mlsvs's interpreter)": f"{python} -c pass",
            "python -c pass (picklescan's venv)": f"{args.venv / 'bin' / 'python'} -c pass",
            "mlsvs --version": f"{mlsvs} --version",
        }
        for label, tree in trees.items():
            commands[f"mlsvs scan {label}"] = f"{mlsvs} scan {tree}"
            # One process: what the default (-j min(8, CPUs)) gains by sharing files out.
            commands[f"mlsvs scan -j 1 {label}"] = f"{mlsvs} scan -j 1 {tree}"
            commands[f"picklescan {label}"] = f"{picklescan} --path {tree}"
        out = Path(tmp) / "hyperfine.json"
        load_start = os.getloadavg()
        argv = [hyperfine, "-N", "-i", "-w", "3", "-r", str(args.n), "--export-json", str(out)]
        for label, cmd in commands.items():
            argv += ["-n", label, cmd]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
        load_end = os.getloadavg()
        results = {r["command"]: r for r in json.loads(out.read_text())["results"]}
    print(f"hyperfine -N, {args.n} runs each; mlsvs as {mlsvs}")
    print(f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}, {os.cpu_count()} CPUs")
    print("| command | mean (s) | median (s) | min (s) | user+sys (s) |")
    print("|---|---|---|---|---|")
    for label, r in results.items():
        cpu = r["user"] + r["system"]
        print(f"| {label} | {r['mean']:.3f} ± {r['stddev']:.3f} | {r['median']:.3f} | "
              f"{r['min']:.3f} | {cpu:.3f} |")  # fmt: skip
    for label in trees:
        mine, theirs = results[f"mlsvs scan {label}"], results[f"picklescan {label}"]
        alone = results[f"mlsvs scan -j 1 {label}"]
        print(
            f"\n{label}: mlsvs / picklescan = {mine['median'] / theirs['median']:.2f} (median), "
            f"{mine['min'] / theirs['min']:.2f} (min); -j 1: "
            f"{alone['median'] / theirs['median']:.2f} (median)",
            end="",
        )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
