"""Models and data for the subgroup, reconstruction and property-inference tests (copied into
the temporary project, like ``projmodels``). Deterministic for a given seed."""

from __future__ import annotations

import numpy as np

N_FEATURES = 6
W = np.array([3.0, -2.0, 1.5, 0.0, 1.0, -1.0])


def records(n: int, seed: int, minority: float = 0.3):
    """Applicant-like records: six scaled features, a group column the model does not see.

    Group "b" follows a different decision rule (the sign of feature 3 flips the label), so a
    model trained mostly on group "a" is worse on "b", and a training set's share of "b"
    changes what the model learns.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, N_FEATURES))
    group = np.where(rng.uniform(size=n) < minority, "b", "a")
    logits = (x - 0.5) @ W
    rule_b = 4.0 * (x[:, 3] - 0.5) - 1.5 * (x[:, 0] - 0.5)
    y = (np.where(group == "b", rule_b, logits) > 0).astype(int)
    return x, y, group


def blind(n: int, seed: int):
    """Same features and labels for everyone; the group column is unrelated to both."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, N_FEATURES))
    group = np.where(rng.uniform(size=n) < 0.5, "b", "a")
    y = ((x - 0.5) @ W > 0).astype(int)
    return x, y, group


def recon_train():
    """The 300 personal records the reconstruction targets are drawn from."""
    x, y, _ = blind(300, seed=21)
    return x, y


def prop_train(leaky: bool):
    """Training data of the property-inference targets (the group's share is 0.5)."""
    return records(1200, seed=31, minority=0.5) if leaky else blind(1200, seed=32)


def build_majority_forest():
    """Trained on group "a" only: fine overall, poor on group "b"."""
    from sklearn.ensemble import RandomForestClassifier

    x, y, _ = records(1500, seed=11, minority=0.0)
    return RandomForestClassifier(n_estimators=25, random_state=0).fit(x, y)


def build_pooled_forest():
    """Trained on data where both groups follow one rule: no subgroup gap."""
    from sklearn.ensemble import RandomForestClassifier

    x, y, _ = blind(1500, seed=12)
    return RandomForestClassifier(n_estimators=25, random_state=0).fit(x, y)


def build_logistic():
    from sklearn.linear_model import LogisticRegression

    x, y = recon_train()
    return LogisticRegression(C=1.0).fit(x, y)


def build_kernel():
    """An RBF support-vector model with a narrow kernel and Platt scores: it memorises."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    x, y = recon_train()
    return CalibratedClassifierCV(SVC(gamma=60.0, C=10.0), method="sigmoid", ensemble=False).fit(
        x, y
    )


def fit_logistic(x, y, seed):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=500).fit(x, y)


def build_prop_leaky():
    x, y, _ = prop_train(True)
    return fit_logistic(x, y, 0)


def build_prop_blind():
    x, y, _ = prop_train(False)
    return fit_logistic(x, y, 0)


class NoisyDefence:
    """A served pipeline with a randomized input defence: Gaussian noise on every query
    (``sigma``), then a logistic regression trained on clean data. Its scores change from
    call to call, which stalls a naive score-based attack."""

    def __init__(self, sigma: float, seed: int = 0):
        from sklearn.linear_model import LogisticRegression

        x, y = recon_train()
        self._clf = LogisticRegression(C=10.0).fit(x, y)
        self._rng = np.random.default_rng(seed)
        self._sigma = sigma

    def __call__(self, x):
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        noisy = flat + self._rng.normal(0.0, self._sigma, flat.shape)
        return self._clf.predict_proba(noisy)


def build_noisy_defence():
    return NoisyDefence(sigma=0.2)
