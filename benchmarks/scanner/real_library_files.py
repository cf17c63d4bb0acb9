"""Benign files written by real releases of the supported libraries, scanned with mlsvs.

Each interpreter given (a throwaway venv holding one release set) runs
``scripts/allowlist/build_samples.py``: pickles at protocols 0-5, joblib files (plain, zlib,
xz), torch zip/legacy checkpoints and TorchScript, numpy .npy/.npz (object, structured),
xgboost JSON/UBJ, LightGBM text and Keras .keras/.weights.h5/.h5, of estimators, pipelines,
DataFrames with extension dtypes, categoricals and datetimetz, ufuncs, state_dicts and standard
modules. Every file is scanned (never loaded); the table has one row per library release. Any
finding on these files is a false alarm (exit 1). Not-verified files are counted apart.

    python -m venv /tmp/rl-a && /tmp/rl-a/bin/pip install numpy==1.26.4 pandas==2.1.4 ...
    python benchmarks/scanner/real_library_files.py --python /tmp/rl-a/bin/python \\
        --python /tmp/rl-b/bin/python --current
    python benchmarks/scanner/real_library_files.py --samples DIR ...   (already built)

The same sample directories feed ``scripts/gen_allowlist.py --samples`` (allowlist provenance).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
BUILDER = ROOT / "scripts" / "allowlist" / "build_samples.py"
# The library a file is attributed to: the most specific distribution that produced it.
_PRIORITY = ("torch", "keras", "xgboost", "lightgbm", "scikit-learn", "pandas", "scipy",
             "safetensors", "onnx", "gguf", "numpy")  # fmt: skip


def _library(dists: list[str]) -> str:
    for dist in _PRIORITY:
        if dist in dists:
            return dist
    return "joblib" if "joblib" in dists else "python (stdlib)"


def main() -> int:
    from mlsvs.scanner import scan_path
    from mlsvs.scanner.report import ScanStatus

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)  # fmt: skip
    parser.add_argument("--python", action="append", default=[], help="interpreter of a venv")
    parser.add_argument("--samples", action="append", default=[], help="already built sample dir")
    parser.add_argument("--current", action="store_true", help="also build with this interpreter")
    parser.add_argument("--keep", type=Path, help="build into this folder (kept) instead of tmp")
    args = parser.parse_args()
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        dirs = [Path(s) for s in args.samples]
        for i, python in enumerate(args.python + ([sys.executable] if args.current else [])):
            out = base / f"s{i}"
            subprocess.run([python, str(BUILDER), str(out)], check=True)
            dirs.append(out)
        for d in dirs:
            manifest = json.loads((d / "manifest.json").read_text())
            versions = manifest.get("versions", {})
            for item in manifest["files"]:
                lib = _library(item["dists"])
                keys = [(lib, versions.get(lib, manifest.get("python", "?")))]
                if "joblib" in item["dists"] and lib != "joblib":
                    keys.append(("joblib (files)", versions.get("joblib", "?")))
                report = scan_path(d / item["file"])
                column = {ScanStatus.CLEAN: 1, ScanStatus.FINDINGS: 2}.get(report.status, 3)
                for key in keys:
                    rows[key][0] += 1
                    rows[key][column] += 1
                if report.status is not ScanStatus.CLEAN:
                    why = "; ".join(f"{f.rule.value} {f.message}" for f in report.findings[:3])
                    bad.append(f"{report.status.value}: {d.name}/{item['file']} "
                               f"({lib} {keys[0][1]}): {why}")  # fmt: skip
    print("| library | version | files | clean | findings | not verified |")
    print("|---|---|---:|---:|---:|---:|")
    for (lib, version), (n, clean, found, unverified) in sorted(rows.items()):
        print(f"| {lib} | {version} | {n} | {clean} | {found} | {unverified} |")
    for line in bad:
        print(line)
    return 1 if any(line.startswith("findings") for line in bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())
