"""Black-box attacks and membership inference: mlsvs native vs IBM ART, same model, same inputs,
same run. Prints a Markdown table (and JSON with --json).

    python benchmarks/robustness/bench_blackbox.py [--threads 1] [--n 200] [--json out.json]

* Square (L∞, ε = 0.1, 500 queries per input) on the tiny CNN of ``bench_evasion.py``: mlsvs
  (float64 log-prob margins, batched) vs ART ``SquareAttack`` (logit margins) at the same
  budget and ``p_init``; robust accuracy and agreement (fraction of inputs both call robust or
  both call broken).
* HopSkipJump (L∞, decision-only) on the first ``--n-hsj`` inputs: mlsvs batched vs ART
  ``HopSkipJump`` (per sample), robust accuracy at ε from the minimal distances.
* Membership inference on a 100-tree random forest (5,000 members / 5,000 non-members): mlsvs
  threshold attacks (strongest of loss / logit / confidence / entropy, bootstrap CIs included)
  vs ART ``MembershipInferenceBlackBox`` (learned random-forest attack model, trained on half of
  each group and evaluated on the other half).

The machine is shared (2 vCPUs, several engineers): the load average is printed; compare
ratios from the same run only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_evasion import cnn, synthetic, train

EPS, QUERIES, P_INIT = 0.1, 500, 0.3


class AsFloat32(torch.nn.Module):
    """ART's HopSkipJump feeds float64 arrays; the model's weights are float32."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.float())


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def square_pair(model, x, y):
    from art.attacks.evasion import SquareAttack
    from art.estimators.classification import PyTorchClassifier

    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.adapters.models.torch import TorchModel
    from mlsvs.modeltest.evasion.blackbox import square_run
    from mlsvs.modeltest.evasion.constraints import Norm

    adapter = TorchModel(model, InputSpec(shape=(1, 28, 28)), 10, device="cpu")
    t_n, run = _timed(
        lambda: square_run(
            adapter, x, y, EPS, Norm.LINF, queries_per_input=QUERIES,
            rng=np.random.default_rng(0), p_init=P_INIT,
        )
    )  # fmt: skip
    native = run.pred == y
    clf = PyTorchClassifier(
        model=model, loss=torch.nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10,
        clip_values=(0.0, 1.0), device_type="cpu",
    )  # fmt: skip
    atk = SquareAttack(
        clf, norm=np.inf, eps=EPS, max_iter=QUERIES, p_init=P_INIT, nb_restarts=1,
        batch_size=len(x), verbose=False,
    )  # fmt: skip
    t_a, adv = _timed(lambda: atk.generate(x, y=y))
    art_ok = clf.predict(adv).argmax(1) == y
    return {
        "mlsvs_s": t_n, "art_s": t_a, "mlsvs_robust": float(native.mean()),
        "art_robust": float(art_ok.mean()), "agreement": float((native == art_ok).mean()),
        "mlsvs_queries_mean": float(run.used.mean()),
    }  # fmt: skip


def hsj_pair(model, x, y):
    from art.attacks.evasion import HopSkipJump
    from art.estimators.classification import PyTorchClassifier

    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.adapters.models.torch import TorchModel
    from mlsvs.modeltest.evasion.blackbox import hop_skip_jump
    from mlsvs.modeltest.evasion.constraints import Norm

    adapter = TorchModel(model, InputSpec(shape=(1, 28, 28)), 10, device="cpu")
    t_n, (dist, used) = _timed(
        lambda: hop_skip_jump(
            adapter, x, y, Norm.LINF, queries_per_input=QUERIES * 2, rng=np.random.default_rng(0)
        )
    )
    clf = PyTorchClassifier(
        model=AsFloat32(model), loss=torch.nn.CrossEntropyLoss(), input_shape=(1, 28, 28),
        nb_classes=10, clip_values=(0.0, 1.0), device_type="cpu",
    )  # fmt: skip
    atk = HopSkipJump(
        clf, norm=np.inf, max_iter=5, max_eval=100, init_eval=20, init_size=50, verbose=False
    )
    t_a, adv = _timed(lambda: atk.generate(x, y=y))
    art_broken = clf.predict(adv).argmax(1) != y
    art_dist = np.where(art_broken, np.abs(adv - x).reshape(len(x), -1).max(axis=1), np.inf)
    native = dist > EPS
    art_ok = art_dist > EPS
    return {
        "mlsvs_s": t_n, "art_s": t_a, "mlsvs_robust": float(native.mean()),
        "art_robust": float(art_ok.mean()), "agreement": float((native == art_ok).mean()),
        "mlsvs_queries_mean": float(used.mean()),
        "mlsvs_median_dist": float(np.median(dist[np.isfinite(dist)])) if np.isfinite(dist).any() else None,
        "art_median_dist": float(np.median(art_dist[np.isfinite(art_dist)])) if np.isfinite(art_dist).any() else None,
    }  # fmt: skip


def mia_pair():
    from art.attacks.inference.membership_inference import MembershipInferenceBlackBox
    from art.estimators.classification import SklearnClassifier
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.adapters.models.sklearn import SklearnModel
    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.metrics import tpr_at_fpr
    from mlsvs.modeltest.privacy.membership import membership

    x, y = make_classification(10000, 30, n_informative=10, n_classes=4, random_state=0)
    rf = RandomForestClassifier(100, random_state=0, n_jobs=1).fit(x[:5000], y[:5000])
    spec = InputSpec(shape=(30,), lower=(-100.0,), upper=(100.0,))
    cfg = parse({
        "model": {"factory": "m:f", "n_classes": 4}, "input": {"shape": [30]},
        "privacy": {"samples": 5000, "mia_auc_max": 0.6},
    })  # fmt: skip

    def ds(a, b):
        return Dataset(x=x[a:b], y=y[a:b], features=(), source="x")

    t_n, res = _timed(
        lambda: membership(
            BudgetedModel(SklearnModel(rf, spec), budget=None), ds(0, 5000), ds(5000, 10000), cfg
        )
    )
    by = {m.name: m for m in res.measurements}
    art_clf = SklearnClassifier(rf)
    atk = MembershipInferenceBlackBox(art_clf, attack_model_type="rf")

    def art_run():
        atk.fit(x[:2500], y[:2500], x[5000:7500], y[5000:7500])
        p_in = atk.infer(x[2500:5000], y[2500:5000], probabilities=True)[:, -1]
        p_out = atk.infer(x[7500:], y[7500:], probabilities=True)[:, -1]
        return p_in, p_out

    t_a, (p_in, p_out) = _timed(art_run)
    auc_art = roc_auc_score(np.r_[np.ones(len(p_in)), np.zeros(len(p_out))], np.r_[p_in, p_out])
    return {
        "mlsvs_s": t_n, "art_s": t_a,
        "mlsvs_auc": by["mia_auc"].value, "mlsvs_auc_ci": (by["mia_auc"].lower, by["mia_auc"].upper),
        "mlsvs_tpr_1pct": by["mia_tpr_at_1pct_fpr"].value, "art_auc": float(auc_art),
        "art_tpr_1pct": tpr_at_fpr(p_in, p_out, 0.01),
        "mlsvs_strongest": dict(by["mia_auc"].parameters)["strongest"],
    }  # fmt: skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--n-hsj", type=int, default=50)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xtr, ytr = synthetic(6000, 0)
    xte, yte = synthetic(1000, 1)
    model = train(cnn(), xtr, ytr)
    for p in model.parameters():
        p.requires_grad_(False)
    x, y = xte[: args.n], yte[: args.n]
    out: dict[str, object] = {"load": os.getloadavg()[0]}
    for name, fn in (
        ("square", lambda: square_pair(model, x, y)),
        ("hopskipjump", lambda: hsj_pair(model, x[: args.n_hsj], y[: args.n_hsj])),
        ("mia", mia_pair),
    ):
        out[name] = fn()
        print(name, json.dumps(out[name], default=str), flush=True)
    out["load_end"] = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {args.threads} thread(s), load {out['load']:.2f} -> "
          f"{out['load_end']:.2f}")  # fmt: skip
    print(
        "| attack | mlsvs s | ART s | ART / mlsvs | robust acc mlsvs | robust acc ART | agreement |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in ("square", "hopskipjump"):
        r = out[name]
        print(
            f"| {name} | {r['mlsvs_s']:.2f} | {r['art_s']:.2f} | {r['art_s'] / r['mlsvs_s']:.2f}x "
            f"| {r['mlsvs_robust']:.3f} | {r['art_robust']:.3f} | {r['agreement']:.3f} |"
        )
    m = out["mia"]
    print(
        f"\nMIA (RF, 5,000 + 5,000): mlsvs {m['mlsvs_s']:.2f} s, AUC {m['mlsvs_auc']:.3f} "
        f"(strongest {m['mlsvs_strongest']}), TPR@1%FPR {m['mlsvs_tpr_1pct']:.3f}; ART learned "
        f"black-box {m['art_s']:.2f} s, AUC {m['art_auc']:.3f}, TPR@1%FPR {m['art_tpr_1pct']:.3f}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
