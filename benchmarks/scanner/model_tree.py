"""A realistic model directory for the directory-scan speed benchmark (``bench_cli.py``).

Shaped like a few Hugging Face model repositories and a training run, written with the real
libraries (torch, scikit-learn/joblib, keras, onnx, safetensors): full-size files, not the
corpus's tiny samples, plus the text files that sit next to models::

    PYTHONPATH=src KERAS_BACKEND=torch python benchmarks/scanner/model_tree.py DIR
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path


def _text_files(d: Path, name: str) -> None:
    (d / "README.md").write_text(f"# {name}\n\nA model card. Trained on 🤗 data.\n" * 40)
    (d / "config.json").write_text(json.dumps({"model_type": name, "hidden_size": 256}))
    (d / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")


def _transformer(d: Path) -> None:
    import torch
    from safetensors.torch import save_file

    d.mkdir(parents=True)
    layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024)
    model = torch.nn.TransformerEncoder(layer, num_layers=4)
    state = model.state_dict()
    torch.save(state, d / "pytorch_model.bin")
    save_file({k: v.contiguous() for k, v in state.items()}, str(d / "model.safetensors"))
    vocab = {f"tok{i}": i for i in range(30000)}
    (d / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab}}))
    (d / "vocab.txt").write_text("\n".join(vocab))
    _text_files(d, "encoder")


def _checkpoints(d: Path) -> None:
    import torch

    d.mkdir(parents=True)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(32 * 30 * 30, 10),
    )  # fmt: skip
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.ones(2, 3, 32, 32)).sum().backward()
    opt.step()
    for epoch in range(5):
        torch.save(
            {"epoch": epoch, "model": model.state_dict(), "optim": opt.state_dict(),
             "config": {"lr": 1e-3, "layers": [32, 10]}},
            d / f"epoch_{epoch}.pt",
        )  # fmt: skip
    torch.save(model, d / "full_model.pth")  # a whole pickled module, as many repos ship
    torch.jit.save(torch.jit.script(model), str(d / "scripted.pt"))


def _sklearn(d: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 20))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    forest = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=50)).fit(x, y)
    joblib.dump(forest, d / "forest.joblib")
    joblib.dump(GradientBoostingClassifier(n_estimators=30).fit(x, y), d / "gbm.joblib.z",
                compress=3)  # fmt: skip
    (d / "logreg.pkl").write_bytes(pickle.dumps(LogisticRegression().fit(x, y), protocol=4))
    docs = [f"document {i} about topic {i % 7}" for i in range(300)]
    (d / "tfidf.pkl").write_bytes(pickle.dumps(TfidfVectorizer().fit(docs), protocol=5))
    _text_files(d, "sklearn")


def _keras_onnx(d: Path) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    d.mkdir(parents=True)
    inp = keras.Input(shape=(32,))
    hidden = keras.layers.Dense(128, activation="relu")(inp)
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Dropout(0.1)(hidden))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.save(d / "model.keras")
    model.save(d / "model.h5")
    import numpy as np

    w = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], [w],
    )  # fmt: skip
    onnx.save(helper.make_model(graph), d / "model.onnx")
    _text_files(d, "keras")


def build(root: Path) -> Path:
    """Write the tree under ``root`` (created) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    _transformer(root / "encoder")
    _checkpoints(root / "runs" / "cnn")
    _sklearn(root / "sklearn")
    _keras_onnx(root / "keras")
    return root


if __name__ == "__main__":
    out = build(Path(sys.argv[1]))
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"{out}: {len(files)} files, {size / 2**20:.1f} MiB")
