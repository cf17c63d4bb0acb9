"""Native FGSM / PGD-10 vs ART vs a plain batched PyTorch loop; MIA threshold attack timing.

Same tiny CNN, same 1,000 inputs, same run. Prints a Markdown table (and JSON with --json).

    python benchmarks/robustness/bench_evasion.py [--threads 1] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

EPS, STEPS, STEP, BATCH, N_TEST = 0.1, 10, 0.025, 128, 1000


def synthetic(n, seed):
    g = np.random.default_rng(seed)
    protos = np.random.default_rng(123).uniform(0, 1, size=(10, 1, 7, 7))
    protos = np.kron(protos, np.ones((1, 1, 4, 4)))  # smooth 28x28 prototypes
    y = g.integers(0, 10, n)
    x = protos[y] + 0.15 * g.standard_normal((n, 1, 28, 28))
    shifts = g.integers(-2, 3, size=(n, 2))
    x = np.stack([np.roll(xi, tuple(s), axis=(1, 2)) for xi, s in zip(x, shifts, strict=True)])
    return np.clip(x, 0, 1).astype(np.float32), y.astype(np.int64)


def cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 7 * 7, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )


def train(model, x, y, steps=300):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = np.random.default_rng(0)
    for _ in range(steps):
        idx = g.integers(0, len(x), 64)
        loss = F.cross_entropy(model(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def plain_attack(model, x, y, steps):
    """Plain batched PyTorch FGSM (steps=1, step=EPS) / PGD (no random start)."""
    step = EPS if steps == 1 else STEP
    correct = 0
    for i in range(0, len(x), BATCH):
        x0 = torch.from_numpy(x[i : i + BATCH])
        yb = torch.from_numpy(y[i : i + BATCH])
        adv = x0.clone()
        for _ in range(steps):
            adv.requires_grad_(True)
            loss = F.cross_entropy(model(adv), yb, reduction="sum")
            (g,) = torch.autograd.grad(loss, adv)
            adv = adv.detach() + step * g.sign()
            adv = torch.min(torch.max(adv, x0 - EPS), x0 + EPS).clamp(0, 1)
        with torch.no_grad():
            correct += int((model(adv).argmax(1) == yb).sum())
    return correct / len(x)


def native_attack(model, x, y, steps):
    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.adapters.models.torch import TorchModel
    from mlsvs.modeltest.evasion.constraints import Norm
    from mlsvs.modeltest.evasion.whitebox import PgdParams, fgsm, pgd_once

    adapter = TorchModel(model, InputSpec(shape=(1, 28, 28)), 10, device="cpu", batch_size=BATCH)
    correct = 0
    for i in range(0, len(x), BATCH):  # same batching as the plain loop
        xb, yb = x[i : i + BATCH], y[i : i + BATCH]
        if steps == 1:
            adv = fgsm(adapter, xb, yb, EPS, Norm.LINF)
        else:
            p = PgdParams(steps=steps, step_size=STEP, random_start=False)
            adv = pgd_once(adapter, xb, yb, EPS, p, np.random.default_rng(0))
        correct += int((adapter.predict(adv) == yb).sum())
    return correct / len(x)


def art_attack(model, x, y, steps):
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    clf = PyTorchClassifier(
        model=model,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=(1, 28, 28),
        nb_classes=10,
        clip_values=(0.0, 1.0),
        device_type="cpu",
    )
    if steps == 1:
        atk = FastGradientMethod(clf, norm=np.inf, eps=EPS, batch_size=BATCH)
    else:
        atk = ProjectedGradientDescent(
            clf,
            norm=np.inf,
            eps=EPS,
            eps_step=STEP,
            max_iter=steps,
            num_random_init=0,
            batch_size=BATCH,
            verbose=False,
        )
    adv = atk.generate(x, y=y)
    return float((clf.predict(adv, batch_size=BATCH).argmax(1) == y).mean())


def mia_timing():
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.adapters.models.sklearn import SklearnModel
    from mlsvs.adapters.models.spec import InputSpec
    from mlsvs.modeltest.config import parse
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.metrics import roc
    from mlsvs.modeltest.privacy.membership import membership
    from mlsvs.modeltest.privacy.scores import threshold_scores

    x, y = make_classification(10000, 30, n_informative=10, n_classes=4, random_state=0)
    rf = RandomForestClassifier(100, random_state=0, n_jobs=1).fit(x[:5000], y[:5000])
    spec = InputSpec(shape=(30,), lower=(-100.0,), upper=(100.0,))
    t = time.perf_counter()
    p_in, p_out = rf.predict_proba(x[:5000]), rf.predict_proba(x[5000:])
    r = roc(threshold_scores("loss", p_in, y[:5000]), threshold_scores("loss", p_out, y[5000:]))
    core = time.perf_counter() - t
    cfg = parse(
        {
            "model": {"factory": "m:f", "n_classes": 4},
            "input": {"shape": [30]},
            "privacy": {"samples": 5000, "attacks": ["loss"], "mia_auc_max": 0.6},
        }
    )
    ds = lambda a, b: Dataset(x=x[a:b], y=y[a:b], features=(), source="x")  # noqa: E731
    t = time.perf_counter()
    res = membership(
        BudgetedModel(SklearnModel(rf, spec), budget=None), ds(0, 5000), ds(5000, 10000), cfg
    )
    full = time.perf_counter() - t
    return {
        "core_s": core,
        "auc": r.auc,
        "tpr_1pct": r.tpr_at(0.01),
        "full_test_s": full,
        "full_auc": res.measurements[0].value,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xtr, ytr = synthetic(6000, 0)
    xte, yte = synthetic(N_TEST, 1)
    model = train(cnn(), xtr, ytr)
    for p in model.parameters():
        p.requires_grad_(False)
    impls = {"plain PyTorch": plain_attack, "mlsvs native": native_attack, "ART": art_attack}
    rows = {}
    for attack, steps in (("FGSM", 1), ("PGD-10", STEPS)):
        for fn in impls.values():
            fn(model, xte[:BATCH], yte[:BATCH], steps)  # warm-up
        times = {name: [] for name in impls}
        accs = {}
        for r in range(args.rounds):  # interleaved rounds, order alternating
            order = list(impls.items())
            for name, fn in order if r % 2 == 0 else order[::-1]:
                t = time.perf_counter()
                accs[name] = fn(model, xte, yte, steps)
                times[name].append(time.perf_counter() - t)
        for name in impls:
            rows[(attack, name)] = (min(times[name]), float(np.median(times[name])), accs[name])
    with torch.no_grad():
        clean = float((model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean())
    mia = mia_timing()
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), load {os.getloadavg()[0]:.2f}, "
        f"{platform.processor() or platform.machine()}; clean accuracy {clean:.3f}"
    )
    print("| attack | implementation | min s / 1,000 inputs | median s | x plain | robust acc |")
    print("|---|---|---|---|---|---|")
    for (attack, name), (mn, med, acc) in rows.items():
        ratio = mn / rows[(attack, "plain PyTorch")][0]
        print(f"| {attack} | {name} | {mn:.3f} | {med:.3f} | {ratio:.2f}x | {acc:.3f} |")
    print(
        f"\nMIA loss threshold, 10,000 records (RF 100 trees): attack {mia['core_s']:.3f} s "
        f"(AUC {mia['auc']:.3f}, TPR@1%FPR {mia['tpr_1pct']:.3f}); full MLC610 test incl. "
        f"200-sample bootstrap CIs {mia['full_test_s']:.3f} s"
    )
    if args.json:
        out = {
            f"{a}/{n}": {"min_s": v[0], "median_s": v[1], "robust_acc": v[2]}
            for (a, n), v in rows.items()
        }
        out["mia"] = mia
        out["clean_accuracy"] = clean
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
