"""Column-level PII decisions on realistic tables (Faker) and on identifier columns.

Real personal data (names, e-mails, phones, SSNs, IBANs as Faker makes them) must be found;
order numbers shaped like phones, sequential reference numbers and 16-digit IDs whose Luhn
validity is at chance must not be called personal data. The vectorised (pyarrow) and the
row-wise reader must agree.
"""

from __future__ import annotations

import random
import string

import pytest

from mlsvs.datacheck.pii import Entity
from mlsvs.datacheck.pii_scan import _prefilter, _scan_rows, scan_pii
from mlsvs.datacheck.table import source_for
from mlsvs.datacheck.validators import luhn_ok

from .helpers import write_csv

faker = pytest.importorskip("faker", reason="Faker builds the realistic PII tables")


def realistic(n: int, seed: int = 0) -> tuple[list[str], list[list[object]]]:
    fake = faker.Faker("en_US")
    fake.seed_instance(seed)
    header = ["customer_name", "email", "phone_number", "ssn", "iban", "notes", "amount"]
    rows = [
        [fake.name(), fake.email(), fake.phone_number(), fake.ssn(), fake.iban(),
         fake.sentence(nb_words=8), round(fake.pyfloat(min_value=1, max_value=500), 2)]
        for _ in range(n)
    ]  # fmt: skip
    return header, rows


def order_ids(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
            for _ in range(n)]  # fmt: skip


def entities(report) -> dict[str, int]:
    return {h.name: h.count for h in report.hits}


def test_faker_personal_data_is_found(tmp_path) -> None:
    header, rows = realistic(300)
    path = write_csv(tmp_path / "customers.csv", header, rows)
    report = scan_pii(source_for(path, "customers.csv"))
    found = entities(report)
    assert found["customer_name:person_name"] == 300
    assert found["email:email"] == 300
    assert found["phone_number:phone"] >= 290  # Faker extensions (x123) still count
    assert found["ssn:us_ssn"] >= 290
    assert found["iban:iban"] == 300
    assert not [n for n in found if n.startswith(("amount", "notes"))]
    assert report.rows_with_pii == 300


def test_order_ids_shaped_like_phones_are_not_phones(tmp_path) -> None:
    ids = order_ids(500)
    rows = [[i, f"{random.Random(k).uniform(5, 90):.2f}", "shipped"] for k, i in enumerate(ids)]
    path = write_csv(tmp_path / "orders.csv", ["order_id", "total", "status"], rows)
    report = scan_pii(source_for(path, "orders.csv"))
    assert report.hits == () and report.rows_with_pii == 0
    [dismissed] = report.dismissed
    assert dismissed.name == "order_id:phone" and "identifier column" in dismissed.reason
    # The same values under a neutral name: most are not numbers libphonenumber knows.
    path = write_csv(tmp_path / "refs.csv", ["value", "total"], [[i, 1] for i in ids])
    report = scan_pii(source_for(path, "refs.csv"))
    assert report.hits == ()
    assert "not a phone column" in report.dismissed[0].reason
    # Under a phone name they are phone numbers (the name is the strongest evidence).
    path = write_csv(tmp_path / "contacts.csv", ["phone", "total"], [[i, 1] for i in ids])
    assert entities(scan_pii(source_for(path, "contacts.csv"))) == {"phone:phone": 500}


def test_real_phone_numbers_in_a_neutral_column_are_found(tmp_path) -> None:
    phonenumbers = pytest.importorskip("phonenumbers")
    rng = random.Random(1)
    numbers: list[str] = []
    while len(numbers) < 200:  # valid US numbers, formatted the way a CRM exports them
        candidate = f"{rng.choice([212, 415, 617, 312, 206])}-{rng.randint(200, 999)}-" \
                    f"{rng.randint(0, 9999):04d}"  # fmt: skip
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "US")):
            numbers.append(candidate)
    path = write_csv(tmp_path / "leads.csv", ["contact", "score"], [[v, 1] for v in numbers])
    assert entities(scan_pii(source_for(path, "leads.csv"))) == {"contact:phone": 200}


def test_sequential_ssn_shaped_references_and_chance_luhn_ids_are_dismissed(tmp_path) -> None:
    refs = [f"{100 + i // 10000:03d}-{(i // 100) % 100 + 1:02d}-{i % 100 + 1000:04d}"
            for i in range(300)]  # fmt: skip
    rng = random.Random(3)
    long_ids = ["4" + "".join(str(rng.randint(0, 9)) for _ in range(15)) for _ in range(400)]
    assert 0.05 < sum(map(luhn_ok, long_ids)) / 400 < 0.16  # chance-level Luhn validity
    rows = [[r, long_ids[i]] for i, r in enumerate(refs)]
    path = write_csv(tmp_path / "t.csv", ["ticket", "shipment"], rows)
    report = scan_pii(source_for(path, "t.csv"))
    assert report.hits == ()
    reasons = {d.name: d.reason for d in report.dismissed}
    assert "identifier column" in reasons["ticket:us_ssn"]
    assert "chance" in reasons["shipment:credit_card"]


def test_columnar_and_row_readers_agree(tmp_path) -> None:
    header, rows = realistic(120, seed=5)
    ids = order_ids(120, seed=5)
    rows = [[*r, ids[i], f"call me on {ids[i]} or write to x{i}@mail.example.org"]
            for i, r in enumerate(rows)]  # fmt: skip
    path = write_csv(tmp_path / "mixed.csv", [*header, "order_id", "comment"], rows)
    source = source_for(path, "mixed.csv")
    fast, slow = scan_pii(source), _scan_rows(source, 0, lambda *_: None)
    assert fast.engine == "arrow" and slow.engine == "python"
    assert fast.hits == slow.hits and fast.dismissed == slow.dismissed
    assert fast.rows_with_pii == slow.rows_with_pii == 120


@pytest.mark.parametrize(
    "text",
    ["пётр@mail.ru", "jörg.müller@beispiel.de", "IBAN DE89 3704 0044 0532 0130 00",
     "+44 20 7946 0123", "(212) 555-7890", "١٢٣-٤٥-٦٧٨٩", "ghp_" + "a" * 36, "10.0.0.1"],
)  # fmt: skip
def test_prefilter_keeps_every_cell_python_would_match(text) -> None:
    pa = pytest.importorskip("pyarrow")
    from mlsvs.datacheck.pii import find_candidates

    assert find_candidates(text) or "ghp_" in text
    assert _prefilter(pa.array(["plain words", text, "more words"])).to_pylist() == [
        False,
        True,
        False,
    ]


def test_entity_enum_is_unchanged() -> None:
    assert Entity.PHONE.value == "phone"


def _mixed_cells(n: int, seed: int) -> list[list[object]]:
    """E-mail cells the bulk path takes (whole ASCII addresses) interleaved with ones it must
    leave to Python (spaces, two addresses, non-ASCII, secret-like runs, over-long parts), and
    short number-like cells next to shapes of seven or more characters."""
    rng = random.Random(seed)
    shapes = ["a{i}@x.io", " b{i}@y.co.uk", "c{i}@z.com and d{i}@w.org", "é{i}@x.de",
              "tokenlikeusername_abcdefghij{i}@x.com", "e{i}@d.abcdefghijklmnopqrstuvwxyz",
              "F{i}@MAIL.EXAMPLE.ORG", "g{i}@b.c1", ""]  # fmt: skip
    short = ["1.1.1.1", "12", "0.5", "::", "+1 23", "1.1.1", "123456", "1234567", "12:30",
             "0207 946 0018", "١٢٣", ""]  # fmt: skip
    return [[rng.choice(shapes).format(i=i), rng.choice(shapes).format(i=i),
             rng.choice(short), f"u{i:05d}@e.com"] for i in range(n)]  # fmt: skip


@pytest.mark.parametrize("cap", [200_000, 40])
def test_bulk_email_and_plain_number_paths_match_the_row_reader(tmp_path, monkeypatch, cap):
    import mlsvs.datacheck.pii_scan as pii_scan

    monkeypatch.setattr(pii_scan, "_DISTINCT_CAP", cap)
    monkeypatch.setattr("mlsvs.datacheck.columnar.BLOCK_BYTES", 4096)  # many batches
    path = write_csv(tmp_path / "m.csv", ["email", "contact", "mixed", "user_email"],
                     _mixed_cells(1500, seed=cap))  # fmt: skip
    source = source_for(path, "m.csv")
    fast, slow = scan_pii(source), _scan_rows(source, 0, lambda *_: None)
    assert fast.engine == "arrow"
    assert fast.hits == slow.hits and fast.dismissed == slow.dismissed
    assert fast.rows_with_pii == slow.rows_with_pii
    assert {h.name for h in fast.hits} >= {"email:email", "contact:email", "user_email:email"}


def _planted(n: int, seed: int) -> tuple[list[str], list[list[object]]]:
    """Every entity kind next to its near misses, repeated cells (the per-batch cache), short
    digit/dot cells (they skip the regex passes), non-ASCII text and empty cells."""
    rng = random.Random(seed)
    cards = ["4111 1111 1111 1111", "4111 1111 1111 1112", "5500-0000-0000-0004"]
    kinds = [
        "x{i}@mail.example.org", "jörg{i}@beispiel.de", "not an @ email{i}", "+44 20 7946 {k:04d}",
        "(212) 555-{k:04d}", "{o}", "{c}", "DE89 3704 0044 0532 0130 00", "DE00 3704 0044 0532 0130 01",
        "10.0.{m}.{m}", "999.1.1.1", "078-05-{k:04d}", "AB123456C", "12345678Z", "12345678A",
        "{g}", "tokenlikeusername_abcdefghij{i}", "1.1.1", "1.1.1.1", "123456", "1234567",
        "12:30", "0.5", "٣٤٥-٦٧-٨٩١٢", "", " ", "order {i} shipped", "call {o} or x@y.io",
    ]  # fmt: skip

    def cell(i: int) -> str:
        k, m = rng.randint(0, 9999), rng.randint(0, 300)
        o = f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        g = "ghp_" + "".join(rng.choices(string.ascii_letters + string.digits, k=36))
        return rng.choice(kinds).format(i=i % 50, k=k, m=m, o=o, c=rng.choice(cards), g=g)

    header = ["email", "phone", "value", "notes", "order_id", "amount"]
    rows = [[cell(i), cell(i), cell(i), cell(i), cell(i), f"{rng.uniform(0, 99):.2f}"]
            for i in range(n)]  # fmt: skip
    return header, rows


@pytest.mark.parametrize("cap", [200_000, 30])
def test_vectorised_scan_equals_the_per_value_reader_on_planted_pii(tmp_path, monkeypatch, cap):
    """The Arrow path (plain-number skip, per-batch cell cache, ASCII kernel) gives the report
    of the per-value Python reader (the pre-vectorisation behaviour), also split into Parquet
    parts and merged, over many batches and across the distinct cap."""
    pa = pytest.importorskip("pyarrow")
    import itertools

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    import mlsvs.datacheck.pii_scan as pii_scan

    monkeypatch.setattr(pii_scan, "_DISTINCT_CAP", cap)
    monkeypatch.setattr("mlsvs.datacheck.columnar.BLOCK_BYTES", 4096)  # many batches
    header, rows = _planted(1400, seed=cap)
    path = write_csv(tmp_path / "p.csv", header, rows)
    source = source_for(path, "p.csv")
    fast, slow = scan_pii(source), _scan_rows(source, 0, lambda *_: None)
    assert fast.engine == "arrow"
    assert fast.hits == slow.hits and fast.dismissed == slow.dismissed
    assert fast.rows_with_pii == slow.rows_with_pii and fast.rows == slow.rows == 1400
    found = {h.entity for h in fast.hits} | {d.entity for d in fast.dismissed}
    assert {Entity.EMAIL, Entity.PHONE, Entity.CREDIT_CARD, Entity.IBAN, Entity.IP_ADDRESS,
            Entity.API_KEY} <= found  # fmt: skip
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False))  # fmt: skip
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=400)
    parquet = source_for(tmp_path / "p.parquet", "p.parquet")
    sizes = [400] * 3 + [200]
    parts = [
        pii_scan.scan_pii_part(parquet, row_groups=range(a, b), start=sum(sizes[:a]))
        for a, b in itertools.pairwise([0, 1, 3, 4])
    ]
    merged = pii_scan.merge_parts("p.csv", parts)
    assert merged.hits == slow.hits and merged.dismissed == slow.dismissed
    assert merged.rows_with_pii == slow.rows_with_pii
