"""Generate a model fleet (mixed formats, a few large checkpoints) for the fleet benchmark.

    python benchmarks/fleet/generate.py /tmp/fleet --files 5000 --large 2 --large-mb 512

Formats (by share of files): torch zip checkpoints (torch.save) 28 %, bare pickles 22 %
(benign containers; 8 % of them carry an inert os.system GLOBAL, never loaded), safetensors
15 %, .npy 8 %, joblib.dump files with numpy arrays 10 %, ONNX models (onnx.helper, one
initializer) 5 %, Keras 3 ``.keras`` archives 2 % (one saved by Keras, re-stamped per file so
every file has its own digest), configs/READMEs/tokenizer JSON 10 % (the walk skips most, as in
a real repository). File sizes vary from 1 KiB to a few MiB; ``--large`` checkpoints of
``--large-mb`` MiB each (torch.save: tensor records stored uncompressed, so the scanner reads
their directory and pickle only).
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


def _onnx(seed: int, n: int) -> bytes:
    """A one-node ONNX graph (``Add`` of an input and an ``n``-float initializer)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(
        np.random.default_rng(seed).standard_normal(n).astype(np.float32), name="w"
    )
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        f"g{seed}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])],
        [w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def _keras_template(out: Path) -> bytes:
    """One small model saved by Keras 3 (a ``.keras`` zip archive)."""
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    path = out / "_keras_template.keras"
    out.mkdir(parents=True, exist_ok=True)
    model.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def _restamp(template: bytes, i: int) -> bytes:
    """The template archive with its own ``metadata.json`` (so each file has its own digest)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(template))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = f"2026-12-02@{i:08d}"
                data = json.dumps(meta).encode()
            dst.writestr(info.filename, data)
    return buf.getvalue()


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

    keras_template = _keras_template(out=args.out)

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
        if roll < 0.28:
            buf = io.BytesIO()
            torch.save({"layer.weight": torch.randn(n), "step": i}, buf)
            (repo / "pytorch_model.bin").write_bytes(buf.getvalue())
            kind = "torch-zip"
        elif roll < 0.50:
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
        elif roll < 0.65:
            (repo / "model.safetensors").write_bytes(
                save({"w": np.random.default_rng(i).standard_normal(n).astype(np.float32)})
            )
            kind = "safetensors"
        elif roll < 0.73:
            np.save(
                repo / "embeddings.npy",
                np.random.default_rng(i).standard_normal(n).astype(np.float32),
            )
            kind = "npy"
        elif roll < 0.83:
            import joblib

            arr = np.random.default_rng(i).standard_normal(min(n, 200000))
            joblib.dump({"w": arr, "classes": ["a", "b"]}, repo / "model.joblib")
            kind = "joblib-numpy"
        elif roll < 0.88:
            (repo / "model.onnx").write_bytes(_onnx(i, min(n, 500_000)))
            kind = "onnx"
        elif roll < 0.90:
            (repo / "model.keras").write_bytes(_restamp(keras_template, i))
            kind = "keras"
        else:
            (repo / "config.json").write_text(json.dumps({"architectures": ["Bert"], "id": i}))
            (repo / "README.md").write_text(f"# model {i}\n\nA benchmark model.\n")
            vocab = {f"tok{k}": k for k in range(rng.randint(10, 2000))}
            (repo / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab}}))
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
