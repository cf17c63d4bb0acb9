"""Generate a model fleet (mixed formats, a few large checkpoints) for the fleet benchmark.

    python benchmarks/fleet/generate.py /tmp/fleet --files 5000 --large 2 --large-mb 512

Formats (by share of files): torch zip checkpoints (torch.save) 30 %, bare pickles 25 %
(benign containers; 2 % of all files carry an inert os.system GLOBAL, never loaded), safetensors
15 %, .npy 10 %, joblib-style pickles with numpy arrays 10 %, configs/READMEs 10 % (skipped by
the walk, as in a real repository). File sizes vary from 1 KiB to a few MiB; ``--large``
checkpoints of ``--large-mb`` MiB each (tensor data; the scanner reads their pickles only).
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import random
import time
from pathlib import Path

_MALICIOUS = b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo benchq\x01\x85q\x02Rq\x03."


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--large", type=int, default=2)
    parser.add_argument("--large-mb", type=int, default=512)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import numpy as np
    import torch
    from safetensors.numpy import save

    rng = random.Random(args.seed)
    began = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for i in range(args.files):
        repo = out / f"org{i % 50:02d}" / f"model{i // 50:04d}"
        repo.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        n = int(rng.lognormvariate(7, 1.5)) + 16  # floats: ~100 B .. a few MB
        n = min(n, 1_500_000)
        if roll < 0.30:
            buf = io.BytesIO()
            torch.save({"layer.weight": torch.randn(n), "step": i}, buf)
            (repo / "pytorch_model.bin").write_bytes(buf.getvalue())
            kind = "torch-zip"
        elif roll < 0.55:
            if rng.random() < 0.08:
                (repo / "model.pkl").write_bytes(_MALICIOUS)
                kind = "pickle-malicious"
            else:
                payload = {
                    "coef": [rng.random() for _ in range(min(n, 20000))],
                    "classes": ["a", "b"],
                    "params": {"C": 1.0, "penalty": "l2"},
                }
                (repo / "model.pkl").write_bytes(pickle.dumps(payload, protocol=4))
                kind = "pickle"
        elif roll < 0.70:
            (repo / "model.safetensors").write_bytes(
                save({"w": np.random.default_rng(i).standard_normal(n).astype(np.float32)})
            )
            kind = "safetensors"
        elif roll < 0.80:
            np.save(
                repo / "embeddings.npy",
                np.random.default_rng(i).standard_normal(n).astype(np.float32),
            )
            kind = "npy"
        elif roll < 0.90:
            arr = np.random.default_rng(i).standard_normal(min(n, 200000))
            (repo / "model.joblib").write_bytes(pickle.dumps({"w": arr}, protocol=4))
            kind = "joblib-numpy"
        else:
            (repo / "config.json").write_text(json.dumps({"architectures": ["Bert"], "id": i}))
            (repo / "README.md").write_text(f"# model {i}\n\nA benchmark model.\n")
            kind = "config"
        counts[kind] = counts.get(kind, 0) + 1
    for j in range(args.large):
        big = out / "large" / f"llm{j}"
        big.mkdir(parents=True, exist_ok=True)
        floats = args.large_mb * (1 << 20) // 4
        torch.save(
            {"embed.weight": torch.zeros(floats), "config": {"layers": 32}}, big / "model.pt"
        )
        counts["large-checkpoint"] = counts.get("large-checkpoint", 0) + 1
    stored = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        json.dumps(
            {
                "files": counts,
                "bytes_stored": stored,
                "seconds": round(time.perf_counter() - began, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
