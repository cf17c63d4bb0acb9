"""Benchmark the mlsvs ML code rules against bandit and semgrep on one corpus, same run.

Usage (bandit and semgrep live in a separate venv, never in the project environment)::

    python -m venv /tmp/mlsvs-coderules-venv && /tmp/mlsvs-coderules-venv/bin/pip install bandit semgrep
    python benchmarks/code_rules/run.py --tools /tmp/mlsvs-coderules-venv/bin \
        --packages torch sklearn pandas keras onnx numpy scipy --out /tmp/bench.md

The corpus is a copy of the ``.py`` files of the named packages from this interpreter's
site-packages (copied so that no tool applies its own default ignores, e.g. semgrep skipping
``tests/``). Semgrep runs offline with the local rule file next to this script.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bandit test -> nearest mlsvs rule (bandit has no joblib/allow_pickle/safe_mode/trust_remote_code)
BANDIT_MAP = {
    "B614": "MLCODE001",
    "B301": "MLCODE002",
    "B615": "MLCODE007",
    "B506": "MLCODE009",
    "B307": "MLCODE010+MLCODE011",
    "B102": "MLCODE010+MLCODE011",
    "B501": "MLCODE012",
    "B323": "MLCODE012",
    "B310": "MLCODE013",
    "B105": "MLCODE014",
    "B106": "MLCODE014",
}
ROWS = [
    "MLCODE001",
    "MLCODE002",
    "MLCODE003",
    "MLCODE004",
    "MLCODE005",
    "MLCODE006",
    "MLCODE007",
    "MLCODE008",
    "MLCODE009",
    "MLCODE010+MLCODE011",
    "MLCODE012",
    "MLCODE013",
    "MLCODE014",
]


def build_corpus(packages: list[str], dest: Path) -> tuple[int, int]:
    site = Path(sysconfig.get_paths()["purelib"])
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / ".semgrepignore").write_text("# empty: scan everything\n")
    files = lines = 0
    for package in packages:
        for src in sorted((site / package).rglob("*.py")):
            target = dest / src.relative_to(site)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            target.write_bytes(data)
            files += 1
            lines += data.count(b"\n")
    return files, lines


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if not proc.stdout.strip():
        raise SystemExit(
            f"{cmd[0]} produced no output (exit {proc.returncode}): {proc.stderr[-800:]}"
        )
    print(
        f"{Path(cmd[0]).name} {' '.join(cmd[1:4])}: {wall:.1f} s, exit {proc.returncode}",
        file=sys.stderr,
    )
    return wall, proc.stdout


def run_mlsvs(corpus: Path) -> tuple[float, Counter[str], int, int]:
    wall, out = timed([sys.executable, "-m", "mlsvs", "code", ".", "-f", "json"], corpus)
    doc = json.loads(out)
    counts = Counter(f["rule"] for f in doc["findings"])
    return wall, counts, doc["files"], len(doc["errors"])


def run_bandit(tools: Path, corpus: Path, tests: str | None) -> tuple[float, Counter[str], int]:
    cmd = [str(tools / "bandit"), "-r", ".", "-f", "json", "-q"]
    if tests:
        cmd += ["-t", tests]
    wall, out = timed(cmd, corpus)
    doc = json.loads(out)
    counts = Counter(r["test_id"] for r in doc["results"])
    return wall, counts, len(doc["errors"])


def run_semgrep(tools: Path, corpus: Path, jobs: int) -> tuple[float, Counter[str], int, int]:
    cmd = [
        str(tools / "semgrep"),
        "scan",
        "--metrics=off",
        "--disable-version-check",
        "--json",
        "-q",
        "--config",
        str(HERE / "semgrep-rules.yaml"),
        "-j",
        str(jobs),
        "--max-target-bytes",
        "0",
        "--timeout",
        "0",
        ".",
    ]
    wall, out = timed(cmd, corpus)
    doc = json.loads(out)
    counts = Counter(r["check_id"].rsplit(".", 1)[-1] for r in doc["results"])
    return wall, counts, len(doc["paths"]["scanned"]), len(doc["errors"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tools", type=Path, required=True, help="bin/ of the venv with bandit+semgrep"
    )
    parser.add_argument(
        "--packages",
        nargs="+",
        default=["torch", "sklearn", "pandas", "keras", "onnx", "numpy", "scipy"],
    )
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/mlsvs-bench-corpus"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    files, lines = build_corpus(args.packages, args.corpus)
    print(f"corpus: {files} files, {lines} lines", file=sys.stderr)
    ours = run_mlsvs(args.corpus)
    semgrep_1 = run_semgrep(args.tools, args.corpus, 1)
    semgrep_n = run_semgrep(args.tools, args.corpus, 2)
    bandit_ml = run_bandit(args.tools, args.corpus, ",".join(BANDIT_MAP))
    bandit_all = run_bandit(args.tools, args.corpus, None)

    out: list[str] = []
    out.append(
        f"Corpus: {files} files, {lines} lines ({', '.join(args.packages)} from site-packages)."
    )
    out.append(
        f"Python {sys.version.split()[0]}; semgrep -j1 and -j2 both run; same machine, same run.\n"
    )
    out.append("| tool | wall time (s) | findings | files scanned | parse errors |")
    out.append("|---|---:|---:|---:|---:|")
    out.append(
        f"| mlsvs code (14 rules, stdlib ast) | {ours[0]:.1f} | {sum(ours[1].values())} | {ours[2]} | {ours[3]} |"
    )
    out.append(
        f"| bandit, all tests | {bandit_all[0]:.1f} | {sum(bandit_all[1].values())} | {files} | {bandit_all[2]} |"
    )
    out.append(
        f"| bandit, ML subset `-t {','.join(BANDIT_MAP)}` | {bandit_ml[0]:.1f} | {sum(bandit_ml[1].values())} | {files} | {bandit_ml[2]} |"
    )
    out.append(
        f"| semgrep, local rules, -j1 | {semgrep_1[0]:.1f} | {sum(semgrep_1[1].values())} | {semgrep_1[2]} | {semgrep_1[3]} |"
    )
    out.append(
        f"| semgrep, local rules, -j2 | {semgrep_n[0]:.1f} | {sum(semgrep_n[1].values())} | {semgrep_n[2]} | {semgrep_n[3]} |"
    )
    out.append("")
    out.append(
        f"Ratios: bandit (all) / mlsvs = {bandit_all[0] / ours[0]:.1f}x, bandit (ML subset) / mlsvs = "
        f"{bandit_ml[0] / ours[0]:.1f}x, semgrep -j1 / mlsvs = {semgrep_1[0] / ours[0]:.1f}x, "
        f"semgrep -j2 / mlsvs = {semgrep_n[0] / ours[0]:.1f}x.\n"
    )
    out.append("| rule | mlsvs | semgrep (equivalent local rule) | bandit test(s) | bandit |")
    out.append("|---|---:|---:|---|---:|")
    for row in ROWS:
        parts = row.split("+")
        tests = [t for t, r in BANDIT_MAP.items() if r == row]
        shown = ", ".join(tests) or "-"
        bandit_count = str(sum(bandit_ml[1][t] for t in tests)) if tests else "-"
        mine = sum(ours[1][p] for p in parts)
        theirs = sum(semgrep_1[1][p] for p in parts)
        out.append(f"| {row} | {mine} | {theirs} | {shown} | {bandit_count} |")
    meta = {r: ours[1][r] for r in ("MLCODE090", "MLCODE091") if ours[1][r]}
    if meta:
        out.append(f"\nSuppression findings (mlsvs only): {meta}")
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
