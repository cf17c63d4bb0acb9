"""Write a small-CNN project (factory, safetensors weights, NPZ data, mlsvs.toml) for timing
``mlsvs test robustness`` by hand:

    python benchmarks/robustness/cnn_project.py /tmp/cnnproj [--scale 1000]
    time python -m mlsvs test robustness /tmp/cnnproj --allow model-exec

``--scale`` multiplies the logits (same decisions, saturated softmax) to show masking.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).parent))
from bench_evasion import cnn, synthetic

FACTORY = '''"""Tiny CNN factory for the robustness timing project."""

import torch

SCALE = {scale}


class Scaled(torch.nn.Module):
    def __init__(self, inner, scale):
        super().__init__()
        self.inner, self.scale = inner, scale

    def forward(self, x):
        return self.inner(x) * self.scale


def build():
    inner = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    return Scaled(inner, SCALE)
'''

CONFIG = """[model_tests]
seed = 0
level = "L1"

[model_tests.model]
kind = "torch"
factory = "cnnmodel:build"
trusted_model = "cnn.safetensors"
n_classes = 10
device = "cpu"

[model_tests.input]
shape = [1, 28, 28]
lower = 0.0
upper = 1.0

[model_tests.data]
test = "test.npz"
train = "train.npz"

[model_tests.accuracy]
samples = 500
clean_accuracy_min = 0.8

[model_tests.robustness]
samples = 200
epsilon = 0.1
epsilons = [0.05, 0.1, 0.2]
steps = 10
step_size = 0.025
queries_per_input = 500
robust_accuracy_min = 0.3
blackbox_robust_accuracy_min = 0.5
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    from safetensors.torch import save_file

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    xtr, ytr = synthetic(6000, 0)
    xte, yte = synthetic(1000, 1)
    model = cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = np.random.default_rng(0)
    for _ in range(300):
        idx = g.integers(0, len(xtr), 64)
        loss = F.cross_entropy(model(torch.from_numpy(xtr[idx])), torch.from_numpy(ytr[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = {f"inner.{k}": v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / "cnn.safetensors"))
    (out / "cnnmodel.py").write_text(FACTORY.format(scale=args.scale), encoding="utf-8")
    (out / "mlsvs.toml").write_text(CONFIG, encoding="utf-8")
    np.savez(out / "test.npz", x=xte, y=yte)
    np.savez(out / "train.npz", x=xtr[:2000], y=ytr[:2000])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
