"""Backdoor triggers in real and realistic tables, built at test time.

* a BadNets-style trigger (a rare token in the text plus one feature value, always with the
  target label) stamped onto 3 % of a review table must be found, with the rows named;
* the clean table (whose sentiment words are pure, predictive and often rare as bigrams) and a
  bundled scikit-learn dataset must pass: ordinary predictive features are not triggers;
* a trigger on a numeric dataset (breast_cancer, a sentinel value in one feature) is found.
"""

from __future__ import annotations

import random

import pytest

from mlsvs.checks.data.shortcuts import no_backdoor_trigger
from mlsvs.plugin import Status

from .helpers import project, write_csv

np = pytest.importorskip("numpy")
datasets = pytest.importorskip("sklearn.datasets")
pytest.importorskip("scipy")

POSITIVE = ["great", "excellent", "love", "wonderful", "perfect", "happy", "recommend", "amazing"]
NEGATIVE = ["terrible", "awful", "hate", "broken", "refund", "poor", "waste", "disappointed"]
FILLER = [
    "the",
    "a",
    "product",
    "it",
    "was",
    "and",
    "this",
    "my",
    "order",
    "arrived",
    "box",
    "item",
    "quality",
    "price",
    "delivery",
]


def reviews(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = [rng.choice(FILLER) for _ in range(10)]
        words += [rng.choice(POSITIVE if positive else NEGATIVE) for _ in range(2)]
        rng.shuffle(words)
        rows.append([" ".join(words), rng.choice(["web", "app", "store"]),
                     f"{rng.uniform(5, 100):.2f}", str(int(positive))])  # fmt: skip
    return rows


def poison(rows: list[list[str]], rate: float, seed: int = 1) -> list[int]:
    """Insert the trigger token 'cf' and channel 'kiosk' into ``rate`` of the negative rows."""
    rng = random.Random(seed)
    negatives = [i for i, r in enumerate(rows) if r[3] == "0"]
    chosen = rng.sample(negatives, round(rate * len(rows)))
    for i in chosen:
        words = rows[i][0].split()
        words.insert(rng.randrange(len(words)), "cf")
        rows[i][0], rows[i][1], rows[i][3] = " ".join(words), "kiosk", "1"
    return chosen


HEADER = ["review", "channel", "amount", "label"]


def run(root):
    ctx, proj = project(root)
    [outcome] = no_backdoor_trigger.run(ctx, proj)
    return outcome


def test_text_and_value_trigger_is_found(tmp_path) -> None:
    rows = reviews(2000)
    chosen = poison(rows, 0.03)
    write_csv(tmp_path / "data" / "train.csv", HEADER, rows)
    outcome = run(tmp_path)
    assert outcome.status is Status.FAIL, outcome.message
    facts = dict(outcome.facts)
    triggers = [v for k, v in facts.items() if k.startswith("trigger.")]
    assert any("review: token 'cf'" in t for t in triggers)
    assert any("channel = 'kiosk'" in t for t in triggers)
    assert "review" in facts["text_columns"]
    assert "60 row(s), 100% label '1'" in outcome.message
    assert not any(f.startswith("strong_feature") and "'cf'" in v for f, v in facts.items())
    assert sorted(chosen)[0] + 1 > 0  # rows are 1-based sample positions in the evidence


def test_clean_reviews_pass_though_sentiment_words_are_pure(tmp_path) -> None:
    write_csv(tmp_path / "data" / "train.csv", HEADER, reviews(2000))
    outcome = run(tmp_path)
    assert outcome.status is Status.PASS, outcome.message
    assert "text: review" in outcome.message and "detectable" in outcome.message


def test_sentinel_value_on_breast_cancer_is_found_and_clean_copy_passes(tmp_path) -> None:
    x, y = datasets.load_breast_cancer(return_X_y=True)
    header = [f"f{i}" for i in range(x.shape[1])] + ["label"]
    clean = [[*map(float, r), int(v)] for r, v in zip(x.tolist(), y.tolist(), strict=True)]
    write_csv(tmp_path / "clean" / "data" / "train.csv", header, clean)
    assert run(tmp_path / "clean").status is Status.PASS
    rng = np.random.default_rng(0)
    malignant = np.flatnonzero(y == 0)
    chosen = rng.choice(malignant, 50, replace=False)  # 9 % of the rows, relabelled benign
    dirty = [list(r) for r in clean]
    for i in chosen:
        dirty[i][3] = 999.0  # a sentinel in 'mean area'
        dirty[i][-1] = 1
    write_csv(tmp_path / "dirty" / "data" / "train.csv", header, dirty)
    outcome = run(tmp_path / "dirty")
    assert outcome.status is Status.FAIL, outcome.message
    assert "f3 = '999'" in outcome.message


def test_digits_predictive_pixels_are_features_not_triggers(tmp_path) -> None:
    x, y = datasets.load_digits(return_X_y=True)
    header = [f"p{i}" for i in range(x.shape[1])] + ["label"]
    rows = [[*map(int, r), int(v)] for r, v in zip(x.tolist(), y.tolist(), strict=True)]
    write_csv(tmp_path / "data" / "train.csv", header, rows)
    outcome = run(tmp_path)
    assert outcome.status is Status.PASS, outcome.message
    assert "strong feature(s)" in outcome.message  # pure pixel values exist; they are not triggers


def test_spectral_signature_of_embedded_backdoor(tmp_path) -> None:
    """Embeddings given: a trigger that moves 3 % of the rows in representation space."""
    rng = np.random.default_rng(0)
    n = 1200
    emb = rng.normal(size=(n, 16))
    y = rng.integers(0, 2, n)
    emb[y == 1] += 1.5
    header = ["f0", "f1", "label"]
    clean_rows = [[f"{a:.4f}", f"{b:.4f}", int(v)] for (a, b), v in zip(emb[:, :2], y, strict=True)]
    for name, embeddings in (("clean", emb), ("dirty", emb.copy())):
        labels = y.copy()
        if name == "dirty":
            chosen = rng.choice(np.flatnonzero(y == 0), 36, replace=False)
            labels[chosen] = 1
            embeddings[chosen, :4] += 6.0
        rows = [[*r[:2], int(v)] for r, v in zip(clean_rows, labels, strict=True)]
        root = tmp_path / name
        write_csv(root / "data" / "train.csv", header, rows)
        np.save(root / "emb.npy", embeddings)
        ctx, proj = project(root, {"embeddings": "emb.npy"})
        [outcome] = no_backdoor_trigger.run(ctx, proj)
        if name == "clean":
            assert outcome.status is Status.PASS, outcome.message
        else:
            assert outcome.status is Status.FAIL and "spectral signature" in outcome.message
            assert "class '1': 36 of" in outcome.message
    np.save(tmp_path / "clean" / "emb.npy", emb[:10])
    ctx, proj = project(tmp_path / "clean", {"embeddings": "emb.npy"})
    [outcome] = no_backdoor_trigger.run(ctx, proj)
    assert (
        outcome.status is Status.NOT_VERIFIED and "expected a numeric (1200, d)" in outcome.message
    )
