from __future__ import annotations

import pytest

from mlsvs.datacheck.errors import DataFileError, DataSettingsError
from mlsvs.datacheck.leakage import entity_leakage, parse_time, time_leakage
from mlsvs.datacheck.minhash import MinHasher, similarity
from mlsvs.datacheck.normalise import normalise, quantise
from mlsvs.datacheck.overlap import OverlapParams, find_overlap
from mlsvs.datacheck.splits import configured_splits, infer_splits, split_of
from mlsvs.datacheck.table import source_for

from .helpers import FEATURES, numeric_rows, write_csv

HEADER = [*FEATURES, "y"]


def _src(path):
    return [source_for(path, path.name)]


def test_normalisation() -> None:
    assert normalise(" 1.50 ") == normalise("1.5") == normalise("+1.5e0")
    assert normalise("  Hello   World ") == normalise("hello world")
    assert normalise("1,5") != normalise("1.5")
    assert quantise("56.8", 3) == quantise("56.80001", 3)
    assert quantise("56.8", 3) != quantise("57.8", 3)


def test_split_names() -> None:
    assert split_of("data/train.csv") == ("train", "data/*.csv")
    assert split_of("data/iris_val.csv") == ("valid", "data/iris*.csv")
    assert split_of("d/train-00000-of-00002.parquet") == ("train", "d/*.parquet")
    assert split_of("data/contest.csv") is None
    assert split_of("data/train_test.csv") is None  # ambiguous


def test_infer_groups_same_directory_only(tmp_path) -> None:
    files = [("a/train.csv", tmp_path), ("a/test.csv", tmp_path), ("b/test.csv", tmp_path)]
    sets = infer_splits(files)
    assert len(sets) == 1
    assert sets[0].pairs() == [("train", "test")]


def test_clean_splits_have_no_overlap(tmp_path) -> None:
    train = write_csv(tmp_path / "train.csv", HEADER, numeric_rows(1, 300))
    test = write_csv(tmp_path / "test.csv", HEADER, numeric_rows(2, 100))
    result = find_overlap(_src(train), _src(test), OverlapParams())
    assert (result.exact, result.near, result.rows_later, result.rows_earlier) == (0, 0, 100, 300)


def test_exact_and_reformatted_leaks_are_found(tmp_path) -> None:
    rows = numeric_rows(1, 300)
    leaked = numeric_rows(2, 50)
    leaked[3] = list(rows[10])  # verbatim
    leaked[7] = [f" {rows[20][0]} ", f"{rows[20][1]:.6f}", rows[20][2], rows[20][3], rows[20][4]]
    leaked[9] = [rows[30][0], rows[30][1] + 1e-6, rows[30][2], rows[30][3], rows[30][4]]  # near
    train = write_csv(tmp_path / "train.csv", ["name", *HEADER], [["x", *r] for r in rows])
    test = write_csv(tmp_path / "test.csv", HEADER, leaked)  # lacks the "name" column
    result = find_overlap(_src(train), _src(test), OverlapParams(), names=("train", "test"))
    assert result.columns == tuple(HEADER)
    assert (result.exact, result.near) == (2, 1)
    assert "test.csv:4 = train.csv:11 (exact)" in result.examples
    assert "test.csv:10 ~ train.csv:31 (near)" in result.examples
    exact_only = find_overlap(_src(train), _src(test), OverlapParams(near=False))
    assert (exact_only.exact, exact_only.near) == (2, 0)


def test_near_duplicate_text_via_minhash(tmp_path) -> None:
    sentences = [
        f"customer {i} reported that the delivery arrived late and the box was damaged badly"
        for i in range(40)
    ]
    other = [f"completely different review number {i} about a laptop screen" for i in range(20)]
    test_rows = [[s, 0] for s in other]
    test_rows.append([sentences[5].replace("damaged badly", "damaged  Badly!"), 1])
    train = write_csv(tmp_path / "train.csv", ["text", "y"], [[s, 1] for s in sentences])
    test = write_csv(tmp_path / "test.csv", ["text", "y"], test_rows)
    result = find_overlap(_src(train), _src(test), OverlapParams())
    assert result.text_columns == ("text",)
    assert (result.exact, result.near) == (0, 1)


def test_minhash_similarity_tracks_jaccard() -> None:
    hasher = MinHasher.create(permutations=128, bands=32)
    a, b, c, empty = hasher.signatures(
        [
            "the quick brown fox jumps over the lazy dog",
            "the quick brown fox jumps over the lazy cat",
            "an entirely unrelated sentence about databases",
            "",
        ]
    )
    assert similarity(a, a) == 1.0
    assert similarity(a, b) > 0.6 > similarity(a, c)
    assert similarity(empty, empty) == 0.0
    keys = hasher.band_keys(hasher.signatures(["x" * 30, "x" * 30, "y" * 30]))
    assert keys[0] == keys[1] and not set(keys[0]) & set(keys[2])


def test_no_shared_columns_is_an_error(tmp_path) -> None:
    a = write_csv(tmp_path / "train.csv", ["a"], [[1]])
    b = write_csv(tmp_path / "test.csv", ["b"], [[1]])
    with pytest.raises(DataFileError, match="share no column"):
        find_overlap(_src(a), _src(b), OverlapParams())


def test_entity_and_time_leakage(tmp_path) -> None:
    train = write_csv(
        tmp_path / "train.csv",
        ["customer_id", "date", "x"],
        [["c1", "2024-01-01", 1], ["C2 ", "2024-02-01", 2], ["c3", "2024-03-05T10:00:00", 3]],
    )
    test = write_csv(
        tmp_path / "test.csv",
        ["customer_id", "date", "x"],
        [["c2", "2024-03-01", 4], ["c9", "2024-04-01", 5]],
    )
    ent = entity_leakage(_src(train), _src(test), "customer_id")
    assert (ent.leaked, ent.entities_later, ent.examples) == (1, 2, ("test.csv:1",))
    when = time_leakage(_src(train), _src(test), "date")
    assert (when.leaked_rows, when.later_start, when.examples) == (
        1,
        "2024-03-01",
        ("train.csv:3",),
    )
    clean = time_leakage(
        _src(train), _src(write_csv(tmp_path / "t2.csv", ["date"], [["2025-01-01"]])), "date"
    )
    assert clean.leaked_rows == 0


def test_time_parsing_is_fail_closed(tmp_path) -> None:
    assert (
        parse_time("2024-01-02") == parse_time("2024/01/02") == parse_time("2024-01-02T00:00:00Z")
    )
    assert parse_time("1700000000") == 1.7e9
    assert parse_time("yesterday") is None
    train = write_csv(tmp_path / "train.csv", ["date"], [["yesterday"]])
    test = write_csv(tmp_path / "test.csv", ["date"], [["2024-01-01"]])
    with pytest.raises(DataFileError, match=r"train\.csv:1: date value is not a date"):
        time_leakage(_src(train), _src(test), "date")
    with pytest.raises(DataFileError, match="no column 'when'"):
        entity_leakage(_src(train), _src(test), "when")


def test_configured_splits_validation(tmp_path) -> None:
    write_csv(tmp_path / "a.csv", ["x"], [[1]])
    write_csv(tmp_path / "b.csv", ["x"], [[1]])
    split_set = configured_splits({"training": ("a.csv",), "test": ("b.csv",)}, tmp_path)
    assert split_set.pairs() == [("train", "test")]
    with pytest.raises(DataSettingsError, match="outside the project"):
        configured_splits({"train": ("../a.csv",), "test": ("b.csv",)}, tmp_path)
    with pytest.raises(DataSettingsError, match="at least two"):
        configured_splits({"train": ("a.csv",)}, tmp_path)


def test_minhash_estimate_matches_true_jaccard() -> None:
    import random

    rng = random.Random(5)
    hasher = MinHasher.create(permutations=128, bands=32)
    words = [f"w{i}" for i in range(60)]
    for _ in range(20):
        a = " ".join(rng.sample(words, 20))
        b = " ".join(rng.sample(words, 20)) if rng.random() < 0.5 else a[: len(a) // 2] + " zz"
        x, y = hasher.shingles(a), hasher.shingles(b)
        true = len(x & y) / len(x | y)
        left, right = hasher.signatures([a, b])
        estimate = similarity(left, right)
        assert abs(estimate - true) < 0.15, (a, b, true, estimate)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_vectorised_and_row_wise_overlap_agree(tmp_path, fmt) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = numeric_rows(1, 400)
    text = [
        f"order {i} arrived {'late' if i % 3 else 'early'} and the box was fine" for i in range(400)
    ]
    test_rows = [
        [*r, f"another review {i} of a phone case"] for i, r in enumerate(numeric_rows(2, 80))
    ]
    for j, i in enumerate([5, 50, 150, 250, 350, 399]):
        test_rows[j] = [*rows[i], text[i]]
        if j % 3 == 1:
            test_rows[j][-1] = "  " + text[i].upper()  # exact after normalisation
        elif j % 3 == 2:
            test_rows[j][-1] = text[i] + " !!"  # near (MinHash)
    test_rows[10] = [*rows[7][:-1], rows[7][-1], ""]  # blank text, equal numbers
    test_rows[11] = ["", "", "", "", "", ""]  # an all-blank row never matches
    header = [*HEADER, "comment"]
    train_rows = [[*r, t] for r, t in zip(rows, text, strict=True)] + [["", "", "", "", "", ""]]
    paths = []
    for name, data in (("train", train_rows), ("test", test_rows)):
        path = write_csv(tmp_path / f"{name}.csv", header, data)
        if fmt == "parquet":
            columns = list(zip(*data, strict=True))
            table = pa.table({h: [str(v) for v in c] for h, c in zip(header, columns, strict=True)})
            path = tmp_path / f"{name}.parquet"
            pq.write_table(table, path)
        paths.append(path)
    for params in (OverlapParams(), OverlapParams(near=False), OverlapParams(near_digits=2)):
        fast = find_overlap(_src(paths[0]), _src(paths[1]), params)
        slow = find_overlap(_src(paths[0]), _src(paths[1]), params, vectorised=False)
        assert fast == slow
    assert (fast.exact, fast.near) == (4, 2)


def test_vectorised_text_normalisation_equals_python() -> None:
    pa = pytest.importorskip("pyarrow")
    from mlsvs.datacheck.fastoverlap import quantised_texts
    from mlsvs.datacheck.overlap import _text

    cells = ["  Late  DELIVERY\tnow ", "1.50", " +1.5e0 ", "Straße ﬁne", "a\x1fb", "", "nan",
             "1_000", "x\x0by", "Ünïcode  Text", "12.345678"]  # fmt: skip
    rows = [(c, cells[-1 - i]) for i, c in enumerate(cells)]
    columns = [pa.array([r[0] for r in rows]), pa.array([r[1] for r in rows])]
    assert quantised_texts(columns, 4) == [_text(r, 4) for r in rows]


def test_vectorised_entity_leakage_equals_row_wise(tmp_path, monkeypatch) -> None:
    pytest.importorskip("pyarrow")
    from mlsvs.datacheck import columnar

    train = write_csv(tmp_path / "train.csv", ["cid", "v"],
                      [[f"C{i}", i] for i in range(200)] + [["", 1], ["  ", 2]])  # fmt: skip
    test = write_csv(tmp_path / "test.csv", ["cid", "v"],
                     [[f" c{i} ", i] for i in range(150, 260)] + [["", 3], ["c151", 4]])  # fmt: skip
    fast = entity_leakage(_src(train), _src(test), "cid")
    monkeypatch.setattr(columnar, "available", lambda source: False)
    slow = entity_leakage(_src(train), _src(test), "cid")
    assert fast == slow and fast.leaked == 50 and fast.entities_later == 110


def test_minhash_sketch_does_not_depend_on_chunking(monkeypatch) -> None:
    """A text's signature and band keys are the same alone and inside any chunk of texts."""
    import random

    import numpy as np

    import mlsvs.datacheck.minhash as minhash

    rng = random.Random(7)
    words = ["late", "box", "refund", "great", "screen", "é", "naïve", "42", "0.5"]
    texts = ["", "ab", "abcde", "x" * 3, *(" ".join(rng.choices(words, k=rng.randint(1, 30)))
                                          for _ in range(300))]  # fmt: skip
    for shingle in (3, 5, 8):
        hasher = MinHasher.create(shingle=shingle)
        alone = np.vstack([hasher.signatures([t]) for t in texts])
        monkeypatch.setattr(minhash, "_CHUNK", 64)  # many chunks, texts split across none
        signatures, bands = hasher.sketch(texts)
        monkeypatch.setattr(minhash, "_CHUNK", 1 << 16)
        assert np.array_equal(signatures, alone)
        assert np.array_equal(bands, hasher.band_array(alone))
        assert (signatures[0] == minhash.EMPTY).all()
        assert not (signatures[1:] == minhash.EMPTY).all(axis=1).any()
