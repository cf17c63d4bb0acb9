"""Planted near-duplicate text between train and test, by kind of edit, at the documented threshold.

Each test row is a realistic rewrite of one training review: re-cased and re-spaced, re-punctuated,
a few words inserted, two clauses swapped, words replaced by synonyms, or fully paraphrased. The
checker compares the quantised row text (here: label and review) by MinHash LSH and decides every
candidate on its **exact** Jaccard similarity over 5-byte shingles against
``OverlapParams.minhash_threshold`` (0.8); the threshold is not tuned to these samples.

Measured on six ~115-character reviews per edit (each pair is checked against its own exact
similarity, so a miss is the threshold's verdict, never a lost LSH candidate):

* found 6/6: re-cased and re-spaced (an exact duplicate after normalisation), two clauses
  swapped (J ~0.88);
* found 4/6: punctuation dropped/changed (J 0.79-0.90, the two at 0.79-0.80 fall under);
* missed 0/6: two inserted words (J ~0.78), three synonyms (J 0.49-0.61), a full paraphrase
  (J < 0.3). Character shingles see these as different texts; catching them needs a lower
  threshold (more false positives) or a semantic method (sentence embeddings), which the checker
  does not have.
"""

from __future__ import annotations

import pytest

from mlsvs.datacheck.minhash import MinHasher, Texts, exact_jaccard
from mlsvs.datacheck.normalise import quantise
from mlsvs.datacheck.overlap import OverlapParams, find_overlap
from mlsvs.datacheck.table import source_for

from .helpers import write_csv

pytest.importorskip("numpy")

BASE = [
    "The battery lasts about two days, but the charger stopped working after a week and support "
    "never answered my emails.",
    "Delivery was quick and the box arrived intact, although the screen has a small scratch near "
    "the top left corner.",
    "I bought this kettle for my office, it boils water in under a minute and the handle stays "
    "cool to the touch.",
    "The headphones sound great for the price, yet the ear cushions started peeling after three "
    "months of daily use.",
    "Setup took ten minutes with the app, and the camera has recorded clear video every night "
    "since we installed it.",
    "My daughter loves the backpack because it has many pockets, though one zipper broke on the "
    "second day of school.",
]
FILLER = [
    "Works as described and the price was fair for what you get.",
    "Customer service replaced the faulty unit without any questions asked.",
    "The colour looks different from the photos on the product page.",
    "Instructions were missing, so assembly took much longer than expected.",
    "Excellent build quality, I would happily buy from this seller again.",
    "The package was left in the rain and the manual was soaked through.",
    "Fits perfectly in the car and the cable is long enough to reach the back seat.",
    "Too loud for a bedroom fan, we moved it to the garage after one night.",
]

SYNONYMS = {
    0: [("lasts", "holds out"), ("stopped working", "died"), ("answered", "replied to")],
    1: [("quick", "fast"), ("intact", "undamaged"), ("small", "tiny")],
    2: [("bought", "purchased"), ("boils", "heats"), ("cool", "cold")],
    3: [("great", "excellent"), ("started peeling", "began flaking"), ("daily", "everyday")],
    4: [("took", "needed"), ("clear", "sharp"), ("installed", "mounted")],
    5: [("loves", "adores"), ("many", "lots of"), ("broke", "snapped")],
}
PARAPHRASES = [
    "Support ignored every email I sent when the charger died a week in; the battery itself is "
    "good for roughly two days.",
    "The parcel came fast and undamaged, but there is a little scratch at the upper left of the "
    "display.",
    "Great office kettle: water is boiling within sixty seconds and you can hold the handle "
    "without burning yourself.",
    "For the money these headphones sound excellent, but after three months of wearing them "
    "every day the pads are flaking.",
    "The app had the camera running in ten minutes and every night since the video has been sharp.",
    "Lots of pockets make it my daughter's favourite bag, even if a zip snapped on her second day.",
]
CONTROL = [
    "The blender is powerful but the lid leaks when it is filled above the halfway line.",
    "These running shoes run half a size small, order one size up if you are unsure.",
    "The desk lamp has three brightness levels and the base is heavy enough not to tip over.",
    "Our cat ignored the scratching post completely and sleeps on the box it came in.",
]


def _recase(text: str) -> str:
    return "  " + text.upper().replace(" the ", "   the ") + " "


def _punctuate(text: str) -> str:
    return text.replace(",", "").replace(".", "!!").replace(" and ", " & ")


def _insert(text: str) -> str:
    words = text.split(" ")
    words.insert(4, "honestly")
    words.insert(len(words) - 3, "really")
    return " ".join(words)


def _swap(text: str) -> str:
    head, _, tail = text.rstrip(".").partition(", ")
    return f"{tail[0].upper()}{tail[1:]}, {head[0].lower()}{head[1:]}."


def _synonyms(index: int, text: str) -> str:
    for old, new in SYNONYMS[index]:
        text = text.replace(old, new, 1)
    return text


EDITS = {
    "case_whitespace": lambda i, t: _recase(t),
    "punctuation": lambda i, t: _punctuate(t),
    "insertion": lambda i, t: _insert(t),
    "clause_swap": lambda i, t: _swap(t),
    "synonyms": _synonyms,
    "paraphrase": lambda i, t: PARAPHRASES[i],
}
EXPECTED = {
    "case_whitespace": 6, "clause_swap": 6, "punctuation": 4,
    "insertion": 0, "synonyms": 0, "paraphrase": 0,
}  # fmt: skip
"""Pairs found per edit (of six), as measured; each is explained pair by pair below."""
THRESHOLD = OverlapParams().minhash_threshold
DIGITS = OverlapParams().near_digits


def _train_rows() -> list[list[object]]:
    rows: list[list[object]] = [[i, i % 2, text] for i, text in enumerate(BASE)]
    rows += [[100 + i, i % 2, text] for i, text in enumerate(FILLER)]
    return rows


def _found(tmp_path, name: str, texts: list[tuple[int, str]]) -> tuple[int, int, int]:
    """(exact, near, rows) of the test file holding ``texts`` against the training file."""
    train = write_csv(tmp_path / "train.csv", ["id", "label", "review"], _train_rows())
    rows = [[1000 + j, label, text] for j, (label, text) in enumerate(texts)]
    test = write_csv(tmp_path / f"{name}.csv", ["id", "label", "review"], rows)
    params = OverlapParams(exclude=frozenset({"id"}))
    result = find_overlap(
        [source_for(train, "train.csv")], [source_for(test, f"{name}.csv")], params
    )
    assert result.text_columns == ("review",)
    return result.exact, result.near, result.rows_later


def _row_text(label: int, text: str) -> str:
    """The text the checker compares: the quantised cells of the row, joined by spaces."""
    return " ".join(quantise(str(v), DIGITS) for v in (label, text))


def _jaccard(left: str, right: str) -> float:
    import numpy as np

    hasher = MinHasher.create(shingle=OverlapParams().shingle)
    sets = [hasher.shingle_sets(Texts.from_strings([t])) for t in (left, right)]
    index = np.zeros(1, dtype=np.int64)
    return float(exact_jaccard(sets[0], sets[1], index, index)[0])


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_each_planted_pair_is_decided_by_its_exact_similarity(tmp_path, edit) -> None:
    """Found exactly when the pair's exact Jaccard reaches the threshold (or it is an exact
    duplicate after normalisation); the per-edit totals are the documented ones."""
    found = 0
    for i, text in enumerate(BASE):
        edited = EDITS[edit](i, text)
        exact, near, _ = _found(tmp_path, f"{edit}{i}", [(i % 2, edited)])
        similar = _jaccard(_row_text(i % 2, edited), _row_text(i % 2, text))
        assert exact + near == int(similar >= THRESHOLD), (edit, i, similar)
        found += exact + near
    assert found == EXPECTED[edit]


def test_all_planted_edits_together_and_clean_control(tmp_path) -> None:
    planted = [(i % 2, EDITS[e](i, t)) for e in sorted(EDITS) for i, t in enumerate(BASE)]
    exact, near, rows = _found(tmp_path, "planted", planted)
    assert (exact, near, rows) == (EXPECTED["case_whitespace"], sum(EXPECTED.values()) - 6, 36)


def test_clean_control_has_no_finding(tmp_path) -> None:
    control = [(i % 2, t) for i, t in enumerate(CONTROL)]
    assert _found(tmp_path, "control", control) == (0, 0, len(CONTROL))
