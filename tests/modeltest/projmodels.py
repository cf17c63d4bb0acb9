"""Model factories and data for the temporary test projects (copied into tmp_path).

Everything is deterministic: the same seed gives the same data and the same model.
"""

from __future__ import annotations

import numpy as np

N_FEATURES = 6


def make_data(n: int = 600, seed: int = 0, noise: float = 0.0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, N_FEATURES))
    w = np.array([3.0, -2.0, 1.5, 0.0, 1.0, -1.0])
    logits = (x - 0.5) @ w
    y = (logits + noise * rng.standard_normal(n) > 0).astype(int)
    return x, y


def train_split():
    x, y = make_data(600, seed=0)
    return x[:300], y[:300], x[300:], y[300:]


def build_linear():
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = train_split()
    return LogisticRegression(C=1.0).fit(x, y)


def noisy_split():
    x, y = make_data(400, seed=1, noise=2.0)
    return x[:200], y[:200], x[200:], y[200:]


def build_tree():
    from sklearn.tree import DecisionTreeClassifier

    x, y, _, _ = noisy_split()
    return DecisionTreeClassifier(random_state=0).fit(x, y)


def fit_tree(x, y, seed):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=seed).fit(x, y)


def build_torch():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
    )


def build_broken():
    raise RuntimeError("factory exploded")


def build_slow():
    import time

    time.sleep(30)
    return build_linear()
