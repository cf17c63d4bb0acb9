"""Parquet splits with every kind of overlap ``find_overlap`` tells apart, built at test time."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = [
    "model",
    "training",
    "data",
    "split",
    "leakage",
    "audit",
    "review",
    "sample",
    "record",
    "feature",
    "label",
    "vector",
    "cluster",
    "batch",
    "shard",
    "table",
    "column",
    "value",
    "number",
    "string",
    "quality",
    "check",
    "report",
    "result",
    "privacy",
    "person",
    "address",
    "email",
    "phone",
    "account",
    "system",
    "network",
    "server",
    "client",
    "request",
]


def _sentence(rng: random.Random, words: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build_splits(root: Path, *, rows: int = 600, seed: int = 7) -> dict[str, list[Path]]:
    """train (two files, several row groups each) and test (two files) with planted overlap;
    ``tie``: a one-row file holding only the row with two kinds of partner.

    Planted in test: exact copies of train rows (case/space/number-format changes only), numeric
    near copies (5th significant digit), text near copies (one word changed), test rows that
    repeat each other, blank rows, a row with both a quantised and a MinHash partner in train
    (the MinHash one first), an exact copy that also has near partners, and fresh rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    train = [
        {
            "id": i,
            "text": _sentence(rng),
            "x": round(rng.uniform(1, 1000), 6),
            "k": rng.randint(0, 9),
        }
        for i in range(rows)
    ]
    test: list[dict[str, object]] = []
    for n, i in enumerate(rng.sample(range(rows), 40)):
        row = dict(train[i], id=10_000 + n)
        row["text"] = "  " + str(row["text"]).upper().replace(" ", "   ") if n % 2 else row["text"]
        test.append(row)
    for n, i in enumerate(rng.sample(range(rows), 30)):
        row = dict(train[i], id=20_000 + n)
        row["x"] = float(f"{float(row['x']):.4g}") * (1 + 1e-6)
        test.append(row)
    for n, i in enumerate(rng.sample(range(rows), 30)):
        words = str(train[i]["text"]).split()
        words[n % len(words)] = "zzzz"
        test.append(dict(train[i], id=30_000 + n, text=" ".join(words)))
    test.extend(dict(r, id=40_000 + n) for n, r in enumerate(test[:6]))
    test.extend({"id": 50_000 + n, "text": "", "x": None, "k": None} for n in range(3))
    train.extend({"id": 60_000 + n, "text": " ", "x": None, "k": None} for n in range(3))
    # Quantised partner at a later train row, MinHash partner at an earlier one.
    base = _sentence(rng, 20)
    words = base.split()
    words[3] = "qqqq"
    train[50] = {"id": 50, "text": " ".join(words), "x": 3.14159, "k": 1}
    train[200] = {"id": 200, "text": base, "x": 3.14158, "k": 1}
    tie = {"id": 70_000, "text": base, "x": 3.14159, "k": 1}
    test.append(tie)
    test.extend(
        {
            "id": 80_000 + n,
            "text": _sentence(rng),
            "x": rng.uniform(1, 1000),
            "k": rng.randint(0, 9),
        }
        for n in range(200)
    )
    rng.shuffle(test)
    schema = pa.schema(
        [("id", pa.int64()), ("text", pa.string()), ("x", pa.float64()), ("k", pa.int64())]
    )
    out: dict[str, list[Path]] = {"train": [], "test": [], "tie": [root / "tie.parquet"]}
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([tie], schema), root / "tie.parquet")
    for split, records, files in (("train", train, 2), ("test", test, 2)):
        size = -(-len(records) // files)
        for part in range(files):
            path = root / f"{split}-{part}.parquet"
            chunk = records[part * size : (part + 1) * size]
            pq.write_table(pa.Table.from_pylist(chunk, schema), path, row_group_size=97)
            out[split].append(path)
    return out


def build_pii(path: Path, *, rows: int = 6000, group: int = 400, seed: int = 11) -> Path:
    """A Parquet file of many row groups where a PII report depends on the order of the rows
    across row-group boundaries: an unhinted ``contact`` column with more phone-shaped values
    than ``PHONE_CHECKS`` (valid numbers and libphonenumber-rejected digit groups, both before
    and after the budget runs out), an ascending ``order_ref`` column (the identifier rule),
    repeated e-mail addresses (first distinct samples), names (hint only), card numbers,
    API keys, blanks and nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    records = []
    for i in range(rows):
        if i % 8 == 1 or i < 5:
            contact = f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
        elif i % 8 == 7:
            contact = "" if i % 16 else None
        else:
            contact = f"+44 20 7946 {rng.randint(0, 9999):04d}"
        card = "4111 1111 1111 1111" if i % 97 == 5 else ""
        card = "4111 1111 1111 1112" if i % 89 == 3 else card
        key = f"ghp_{rng.getrandbits(128):032x}abcd" if i % 401 == 17 else "note"
        records.append(
            {
                "email": f"user{i % 5}@example.org" if i % 11 else None,
                "contact": contact,
                "order_ref": f"100-200-{1000 + i:04d}" if i % 13 else f"100-200-{i % 999:04d}",
                "name": WORDS[i % len(WORDS)].title() if i % 4 else "",
                "card": card,
                "memo": key,
            }
        )
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=group)
    return path
