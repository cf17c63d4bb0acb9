"""Differential check for scanner speed work: dump every verdict and every emulator trace.

    PYTHONPATH=src python benchmarks/scanner/diff_verdicts.py --corpus DIR --out before.json
    (change the scanner)
    PYTHONPATH=src python benchmarks/scanner/diff_verdicts.py --corpus DIR --out after.json
    cmp before.json after.json

Records, for every file under ``--corpus`` (e.g. the benchmark corpus written by
``run_benchmark.build_corpus``): format, findings (rule, severity, message, member, offset),
errors and content; plus, for ``--generated N`` grammar-generated pickle programs
(tests/scanner/oracle/grammar.py, seeded), a handful of real-library pickles at protocols 0-5,
every truncation of a few of them, and random byte flips of them: the full emulator result
(events, ops, end offset, error, budget state). Identical output before and after a change
means no verdict and no emulator observation moved.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _report(path: Path) -> dict[str, object]:
    from mlsvs.scanner.api import scan_path

    rep = scan_path(path)
    return {
        "format": str(rep.format),
        "errors": list(rep.errors),
        "content": str(rep.content),
        "findings": [
            [str(f.rule), str(f.severity), f.message, f.location.member, f.location.offset]
            for f in rep.findings
        ],
    }


def _stream_report(data: bytes) -> dict[str, object]:
    import io

    from mlsvs.scanner.api import scan_stream

    rep = scan_stream(io.BytesIO(data), len(data), display="sample")
    return {
        "format": str(rep.format),
        "findings": [[str(f.rule), f.message, f.location.member] for f in rep.findings],
    }


def _trace(data: bytes) -> list[object]:
    from mlsvs.scanner.pickle_vm import Budget, StreamResult, run_stream

    def one(r: StreamResult) -> list[object]:
        return [
            r.start, r.end, r.ops, r.budget_exceeded, r.frame_left, r.raw_reads,
            None if r.error is None else str(r.error),
            [[str(e.kind), e.pos, e.name, e.via, e.data, repr(e.value)[:200]] for e in r.events],
            repr(r.value)[:300], [one(i) for i in r.inner],
        ]  # fmt: skip

    out: list[object] = []
    for budget in (10**7, 37):
        out.append(one(run_stream(data, 0, Budget(opcodes=budget))))
        out.append(one(run_stream(data, 0, Budget(opcodes=budget), joblib=False)))
    return out


def _library_pickles() -> dict[str, bytes]:
    import io
    import pickle
    import zipfile

    import numpy as np

    out: dict[str, bytes] = {}
    values: dict[str, object] = {
        "nested": {"a": [1, 2.5, "x", b"y", None, True, (1,), (1, 2), (1, 2, 3), {1, 2}],
                   "b": frozenset({3}), "c": bytearray(b"z"), "big": 2**80, "neg": -5,
                   "s" * 300: "t" * 70000, "u": "\u00e9\u4e2d\U0001f600"},
        "array": np.arange(12, dtype=np.float32).reshape(3, 4),
        "strarr": np.array(["a", "bb"]),
        "objarr": np.array([1, "a", None], dtype=object),
    }  # fmt: skip
    try:
        from sklearn.linear_model import LogisticRegression

        x = np.random.default_rng(0).normal(size=(40, 3))
        values["logreg"] = LogisticRegression().fit(x, x[:, 0] > 0)
    except ImportError:
        pass
    for name, value in values.items():
        for proto in range(6):
            out[f"{name}-p{proto}"] = pickle.dumps(value, protocol=proto)
    try:
        import torch

        buf = io.BytesIO()
        torch.save({"w": torch.zeros(3), "b": torch.ones(2, dtype=torch.int64)}, buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            out["torch-data.pkl"] = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    except ImportError:
        pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--generated", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import time

    # Generated zips carry the current time (zipfile calls time.localtime, also while the
    # grammar module is imported): pin it, so two runs build byte-identical samples.
    fixed = time.localtime(1_700_000_000)
    time.localtime = lambda _secs=None: fixed  # type: ignore[assignment]
    from tests.scanner.oracle.grammar import Chooser, generate

    result: dict[str, object] = {}
    for path in sorted(p for p in args.corpus.rglob("*") if p.is_file()):
        result[f"file:{path.relative_to(args.corpus)}"] = _report(path)
    rng = random.Random(args.seed)
    for i in range(args.generated):
        sample = generate(Chooser(lambda n, _label: rng.randrange(n)))
        if sample.filename.endswith(".pkl"):
            result[f"gen:{i}"] = _trace(sample.data)
        else:
            result[f"gen:{i}:{sample.filename}"] = _stream_report(sample.data)
    for name, data in _library_pickles().items():
        result[f"lib:{name}"] = _trace(data)
        if len(data) < 3000:
            for cut in range(0, len(data), 7):
                result[f"lib:{name}:cut{cut}"] = _trace(data[:cut])
        for k in range(40):
            mutated = bytearray(data)
            for _ in range(1 + k % 3):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            result[f"lib:{name}:flip{k}"] = _trace(bytes(mutated))
    args.out.write_text(json.dumps(result, indent=0, sort_keys=True, default=repr))
    print(f"{len(result)} entries -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
