"""Side-by-side benchmark: mlsvs scan vs picklescan, modelscan, fickling and modelaudit.

Generates the corpus (every malicious technique in tests/scanner/scan_malicious.py, built byte
by byte with inert payloads, plus benign files made with the real libraries) in a temporary
directory, runs every tool on every file, and prints a Markdown table:

    python -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install -r benchmarks/scanner/requirements.txt
    KERAS_BACKEND=torch python benchmarks/scanner/run_benchmark.py --venv /tmp/bench-venv

Ground truth comes from the oracle tier (tests/scanner/oracle/ground_truth.py): a malicious
fixture is *exploitable* unless ground_truth lists it in a non-exploit category (loader-refused,
neutralised, gadget-absent, unknown, malformed, resource, unidentified) or as having no loader
here. Recall counts only exploitable samples. Per sample a tool's exit code is one of three
outcomes: *detected* (1, "issues found", for all five tools), *clean* (0), or *not verified*
(anything else: mlsvs's 3 "not verified" and 2 "read error", the other tools' error codes,
crashes, timeouts). A not-verified sample is never counted as detected nor as clean: it has its
own column, for exploitable and for benign samples. The non-exploit fixtures are reported apart
(detected / not verified / clean), outside recall and outside false positives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BIG_SIZE = 2 * 1024**3


EXPLOITABLE = "exploitable"
OTHER = "other"
BENIGN = "benign"
DETECTED, CLEAN, NOT_VERIFIED = "detected", "clean", "not verified"


def outcome(code: int) -> str:
    """A tool's exit code as detected / clean / not verified (never folded into the others)."""
    return {1: DETECTED, 0: CLEAN}.get(code, NOT_VERIFIED)


@dataclass
class Tool:
    name: str
    argv: list[str]
    per_file: bool = True
    dir_argv: list[str] | None = None
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    """(truth class, outcome) -> number of samples."""
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    corpus_s: float = 0.0
    big_s: float = 0.0
    big_verdict: str = ""

    def count(self, truth: str, result: str) -> int:
        return self.counts.get((truth, result), 0)

    def record(self, truth: str, result: str, name: str) -> None:
        self.counts[truth, result] = self.count(truth, result) + 1
        self.samples.setdefault((truth, result), []).append(name)


def _version(venv: Path, dist: str) -> str:
    """The installed version of ``dist`` in ``venv`` (``?`` when it is not there)."""
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
            check=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() or "?"


def _tools(venv: Path) -> list[Tool]:
    bin_ = venv / "bin"
    ver = {d: _version(venv, d) for d in ("picklescan", "modelscan", "fickling", "modelaudit")}
    # The console script next to this interpreter, not the first on PATH: a version-manager
    # shim there (pyenv's is a bash script) costs ~0.15 s per run that the other tools, run
    # straight from the venv, do not pay.
    here = Path(sys.executable).parent / "mlsvs"
    mlsvs = str(here) if here.exists() else shutil.which("mlsvs") or "mlsvs"
    return [
        Tool("mlsvs scan", [mlsvs, "scan", "{}"], dir_argv=[mlsvs, "scan", "--jobs", "2", "{}"]),
        Tool(
            f"picklescan {ver['picklescan']}",
            [str(bin_ / "picklescan"), "--path", "{}"],
            dir_argv=[str(bin_ / "picklescan"), "--path", "{}"],
        ),
        Tool(
            f"modelscan {ver['modelscan']}",
            [str(bin_ / "modelscan"), "-p", "{}"],
            dir_argv=[str(bin_ / "modelscan"), "-p", "{}"],
        ),
        Tool(f"fickling {ver['fickling']}", [str(bin_ / "fickling"), "--check-safety", "{}"]),
        Tool(
            f"modelaudit {ver['modelaudit']}",
            [str(bin_ / "modelaudit"), "scan", "{}"],
            dir_argv=[str(bin_ / "modelaudit"), "scan", "{}"],
        ),
    ]


SCRATCH = Path(tempfile.gettempdir())


def _run(argv: list[str], target: Path, timeout: float = 300) -> tuple[int, float]:
    """Run one tool on one path from a scratch directory (fickling writes its JSON to CWD)."""
    cmd = [a.replace("{}", str(target)) for a in argv]
    env = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_ANALYTICS": "1", "CI": "1"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=timeout, env=env, check=False, cwd=SCRATCH
        )
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = 124
    except OSError:
        code = 127
    return code, time.perf_counter() - start


def build_corpus(root: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """Malicious: scan_malicious.CASES + scan_containers.CONTAINER_CASES (loader-faithful
    layouts). Benign: scan_benign.BENIGN + scan_benign_formats.BENIGN_FORMATS (data-only
    formats and ordinary repository files); a builder whose library is missing is skipped."""
    from tests.scanner.scan_benign import BENIGN
    from tests.scanner.scan_benign_formats import BENIGN_FORMATS
    from tests.scanner.scan_containers import CONTAINER_CASES
    from tests.scanner.scan_malicious import CASES

    mal: dict[str, Path] = {}
    ben: dict[str, Path] = {}
    for i, case in enumerate([*CASES, *CONTAINER_CASES]):
        d = root / "malicious" / f"{i:03d}"
        d.mkdir(parents=True)
        mal[case.name] = case.build(d)
    bdir = root / "benign"
    bdir.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, build in {**BENIGN, **BENIGN_FORMATS}.items():
            try:
                ben[name] = build(bdir)
            except ImportError as exc:
                print(f"skipping benign {name}: {exc.name} not installed", file=sys.stderr)
    return mal, ben


def truth_of(name: str) -> str:
    """EXPLOITABLE unless the oracle's ground truth puts the fixture in a non-exploit category
    (or has no loader here to prove it)."""
    from tests.scanner.oracle.ground_truth import GROUND_TRUTH, NO_LOADER

    return OTHER if name in GROUND_TRUTH or name in NO_LOADER else EXPLOITABLE


def in_process_big(big: Path, repeat: int = 5) -> float:
    """Best-of-``repeat`` time of scan_path on the 2 GiB checkpoint inside one process (the
    scanner's own cost, without interpreter start-up and imports)."""
    code = (
        "import sys, time\n"
        "from mlsvs.scanner import scan_path\n"
        "best = 1e9\n"
        f"for _ in range({repeat}):\n"
        "    t = time.perf_counter(); r = scan_path(sys.argv[1])\n"
        "    best = min(best, time.perf_counter() - t)\n"
        "assert r.findings == (), r.findings\n"
        "print(best)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(big)], capture_output=True, text=True, env=env,
        check=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def evaluate(
    tool: Tool, mal: dict[str, Path], ben: dict[str, Path], corpus: Path, big: Path
) -> None:
    jobs = [(n, p, truth_of(n)) for n, p in mal.items()] + [(n, p, BENIGN) for n, p in ben.items()]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda job: _run(tool.argv, job[1])[0], jobs))
    for (name, _, truth), code in zip(jobs, codes, strict=True):
        tool.record(truth, outcome(code), name)
    if tool.dir_argv is not None:
        _, tool.corpus_s = _run(tool.dir_argv, corpus)
    else:  # no directory mode: sequential per-file runs
        tool.corpus_s = sum(_run(tool.argv, path)[1] for _, path, _ in jobs)
    code, tool.big_s = _run(tool.argv, big)
    tool.big_verdict = {0: "clean", 1: "flagged", 124: "timeout"}.get(code, f"exit {code}")


def table(tools: list[Tool], n: dict[str, int]) -> str:
    base = tools[0]
    lines = [
        f"| tool | recall (exploitable, n={n[EXPLOITABLE]}) | not verified (exploitable) | "
        f"false positives (benign, n={n[BENIGN]}) | not verified (benign) | "
        f"non-exploit fixtures detected/not verified/clean (n={n[OTHER]}) | "
        "whole corpus (s) | vs mlsvs | 2 GB checkpoint (s) | vs mlsvs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in tools:
        hit = t.count(EXPLOITABLE, DETECTED)
        lines.append(
            f"| {t.name} | {hit}/{n[EXPLOITABLE]} ({100 * hit / max(n[EXPLOITABLE], 1):.0f}%) | "
            f"{t.count(EXPLOITABLE, NOT_VERIFIED)} | {t.count(BENIGN, DETECTED)}/{n[BENIGN]} | "
            f"{t.count(BENIGN, NOT_VERIFIED)} | {t.count(OTHER, DETECTED)}/"
            f"{t.count(OTHER, NOT_VERIFIED)}/{t.count(OTHER, CLEAN)} | {t.corpus_s:.2f} | "
            f"{t.corpus_s / base.corpus_s:.1f}x | {t.big_s:.2f} ({t.big_verdict}) | "
            f"{t.big_s / base.big_s:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bench-venv"))
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument("--details", action="store_true", help="list misses and false positives")
    args = parser.parse_args()
    from tests.scanner.scan_bigzip import sparse_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mal, ben = build_corpus(root / "corpus")
        big = root / "big.pt"
        sparse_checkpoint(big, BIG_SIZE, crc=True)
        tools = _tools(args.venv)
        for tool in tools:
            print(f"running {tool.name} ...", file=sys.stderr)
            evaluate(tool, mal, ben, root / "corpus", big)
        truths = [truth_of(name) for name in mal]
        sizes = {k: truths.count(k) for k in (EXPLOITABLE, OTHER)} | {BENIGN: len(ben)}
        text = table(tools, sizes)
        text += (
            f"\nmlsvs scan_path on the 2 GiB checkpoint, in process: {in_process_big(big):.4f} s\n"
        )
        if args.details:
            for t in tools:
                text += f"\n**{t.name}**\n"
                for key, label in (
                    ((EXPLOITABLE, CLEAN), "missed (exploitable, judged clean)"),
                    ((EXPLOITABLE, NOT_VERIFIED), "not verified (exploitable)"),
                    ((BENIGN, DETECTED), "false positives"),
                    ((BENIGN, NOT_VERIFIED), "not verified (benign)"),
                    ((OTHER, CLEAN), "non-exploit fixtures judged clean"),
                ):
                    text += f"- {label}: {', '.join(sorted(t.samples.get(key, []))) or '-'}\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
