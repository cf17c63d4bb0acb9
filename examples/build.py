"""Regenerate the example projects' data and models with the real libraries (seeded).

    python examples/build.py            # needs: pip install -e '.[ml,torch]'

The outputs are committed so the examples work without running this. The insecure example's
model files are ordinary (benign) pickles of real sklearn / torch models: they are insecure
because their *format* can run code when loaded, not because they contain a payload.
"""

from __future__ import annotations

import csv
import hashlib
import pickle
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSECURE = HERE / "insecure-classifier"
HARDENED = HERE / "hardened-classifier"
FEATURES = ["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Silva", "Okafor", "Martin", "Ivanov", "Novak", "Haddad", "Lee", "Tanaka", "Costa", "Berg"]


def _rows(seed: int, n: int) -> list[dict[str, float | int]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        age = rng.randint(21, 70)
        income = round(rng.lognormvariate(3.8, 0.4), 1)
        debt = round(min(1.5, max(0.0, rng.gauss(0.35, 0.18))), 3)
        lines = rng.randint(0, 12)
        years = min(age - 18, rng.randint(0, 40))
        risk = 2.8 * debt - 0.012 * income + 0.08 * lines - 0.03 * years + rng.gauss(0, 0.35)
        rows.append(
            {
                "age": age,
                "income_k": income,
                "debt_ratio": debt,
                "credit_lines": lines,
                "years_employed": years,
                "default": int(risk > 0.25),
            }
        )
    return rows


def _luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _matrix(rows: list[dict[str, float | int]]) -> tuple[list[list[float]], list[int]]:
    return [[float(r[f]) for f in FEATURES] for r in rows], [int(r["default"]) for r in rows]


def build_insecure() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(7)
    train, test = _rows(1, 400), _rows(2, 100)
    people: list[dict[str, object]] = []
    for row in train:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append(
            {
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com",
                "phone": f"+44 20 7946 {rng.randint(0, 9999):04d}",
                "card_number": _luhn_card(rng),
                **row,
            }
        )
    _write_csv(INSECURE / "data" / "train.csv", people)
    # The evaluation set accidentally contains training records: leakage.
    leaked = [{k: v for k, v in p.items() if k in (*FEATURES, "default")} for p in people[:5]]
    _write_csv(INSECURE / "data" / "test.csv", [*leaked, *test])

    features, labels = _matrix(train)
    model = LogisticRegression(max_iter=500).fit(features, labels)
    (INSECURE / "models").mkdir(exist_ok=True)
    (INSECURE / "models" / "classifier.pkl").write_bytes(pickle.dumps(model, protocol=4))
    _torch_embedder(INSECURE / "models" / "embedder.pt")


def _torch_embedder(path: Path) -> None:
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    torch.save(net, path)  # the whole module: unpickling it needs torch.load(weights_only=False)


def build_hardened() -> None:
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    train, test = _rows(11, 400), _rows(12, 300)
    _write_csv(HARDENED / "data" / "train.csv", train)  # type: ignore[arg-type]
    _write_csv(HARDENED / "data" / "test.csv", test)  # type: ignore[arg-type]
    features, labels = _matrix(train)
    model = LogisticRegression(C=0.5, max_iter=500).fit(features, labels)
    onnx_model = to_onnx(
        model,
        np.asarray(features[:1], dtype=np.float32),
        options={id(model): {"zipmap": False}},
        target_opset=17,
    )
    (HARDENED / "models").mkdir(exist_ok=True)
    (HARDENED / "models" / "classifier.onnx").write_bytes(onnx_model.SerializeToString())
    sums = []
    for rel in ("models/classifier.onnx", "data/train.csv", "data/test.csv"):
        digest = hashlib.sha256((HARDENED / rel).read_bytes()).hexdigest()
        sums.append(f"{digest}  {rel}\n")
    (HARDENED / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")


if __name__ == "__main__":
    build_insecure()
    build_hardened()
    print("examples rebuilt")
