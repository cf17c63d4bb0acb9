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


# --- runtime-evidence tests (calibration, shift, OOD, compute) -----------------------------


def calibrated_split():
    """Logistic-noise labels: a logistic regression is well specified, so it is calibrated."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, size=(3000, N_FEATURES))
    w = np.array([3.0, -2.0, 1.5, 0.0, 1.0, -1.0]) * 2
    p = 1 / (1 + np.exp(-((x - 0.5) @ w)))
    y = (rng.uniform(size=3000) < p).astype(int)
    return x[:1500], y[:1500], x[1500:], y[1500:]


def build_calibrated():
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = calibrated_split()
    return LogisticRegression(C=100.0).fit(x, y)


def build_overfit_forest():
    """A fully grown tree on noisy labels: certain of every answer, right on 3 in 4 held out."""
    from sklearn.tree import DecisionTreeClassifier

    x, y, _, _ = calibrated_split()
    return DecisionTreeClassifier(random_state=0).fit(x, y)


def collinear_split():
    """The label lives in a tiny difference between a sensor column and its two neighbours."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 1, size=(800, N_FEATURES))
    y = rng.integers(0, 2, 800)
    x[:, 5] = np.clip((x[:, 3] + x[:, 4]) / 2 + 0.01 * (2 * y - 1), 0, 1)
    return x[:400], y[:400], x[400:], y[400:]


def build_collinear():
    """Brittle: huge cancelling weights on near-duplicate columns (exact on clean data)."""

    def predict(batch):
        flat = batch.reshape(batch.shape[0], -1).astype(np.float64)
        z = (flat[:, 5] - (flat[:, 3] + flat[:, 4]) / 2) / 0.002
        p1 = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
        return np.stack([1 - p1, p1], axis=1)

    return predict


def build_sponge():
    """A data-dependent refinement loop: steps grow with the input's magnitude (a sponge)."""
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = train_split()
    base = LogisticRegression(C=1.0).fit(x, y)

    def predict(batch):
        flat = np.nan_to_num(batch.reshape(batch.shape[0], -1), nan=0.0, posinf=1e30, neginf=-1e30)
        for row in flat:
            steps = int(min(np.abs(row).max(), 400_000))
            acc = 0.0
            for i in range(steps):
                acc += i * 1e-9
        return base.predict_proba(np.clip(flat, 0, 1))

    return predict


def build_memory_sponge():
    """Allocates a buffer proportional to the input's magnitude (capped at 160 MB)."""
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = train_split()
    base = LogisticRegression(C=1.0).fit(x, y)

    def predict(batch):
        flat = np.nan_to_num(batch.reshape(batch.shape[0], -1), nan=0.0, posinf=1e30, neginf=-1e30)
        size = int(min(np.abs(flat).max() * 1000, 20_000_000))
        buffer = np.ones(size)
        buffer[::4096] = 2.0
        return base.predict_proba(np.clip(flat, 0, 1))

    return predict


def build_abstaining():
    """Three classes, the last is 'abstain': answered when the input leaves the unit cube."""
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = train_split()
    base = LogisticRegression(C=1.0).fit(x, y)

    def predict(batch):
        flat = batch.reshape(batch.shape[0], -1)
        proba = np.zeros((flat.shape[0], 3))
        proba[:, :2] = base.predict_proba(np.clip(flat, 0, 1))
        outside = (flat < -0.05).any(axis=1) | (flat > 1.05).any(axis=1)
        proba[outside] = (0.0, 0.0, 1.0)
        return proba

    return predict


def build_quantised():
    """The linear model with weights and bias rounded to a 1/16 grid (int8-style)."""
    from sklearn.linear_model import LogisticRegression

    model = build_linear()
    q = LogisticRegression()
    q.classes_, q.n_features_in_ = model.classes_, model.n_features_in_
    q.coef_ = np.round(model.coef_ * 16) / 16
    q.intercept_ = np.round(model.intercept_ * 16) / 16
    return q


def build_pruned():
    """The linear model with every weight but the largest pruned away (too aggressive)."""
    from sklearn.linear_model import LogisticRegression

    model = build_linear()
    p = LogisticRegression()
    p.classes_, p.n_features_in_ = model.classes_, model.n_features_in_
    keep = np.abs(model.coef_) == np.abs(model.coef_).max()
    p.coef_ = np.where(keep, model.coef_, 0.0)
    p.intercept_ = -p.coef_.sum(axis=1) * 0.5
    return p


def fit_bootstrap_tree(x, y, seed):
    """An unpinned recipe: each run trains on a different bootstrap sample."""
    from sklearn.tree import DecisionTreeClassifier

    idx = np.random.default_rng(seed + 1000).integers(0, len(x), len(x))
    return DecisionTreeClassifier(random_state=0).fit(x[idx], y[idx])


def build_rounded():
    """The linear model behind a serving layer that returns scores rounded to one decimal."""
    base = build_linear()

    def predict(batch):
        proba = base.predict_proba(batch.reshape(batch.shape[0], -1))
        return np.round(proba, 1)

    return predict
