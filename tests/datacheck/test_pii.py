from __future__ import annotations

import random

import pytest

from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.pii import (
    Confidence,
    Entity,
    card_ok,
    column_hints,
    dni_ok,
    find_pii,
    iban_ok,
    luhn_ok,
    mask,
    nino_ok,
    phone_ok,
    ssn_ok,
)
from mlsvs.datacheck.pii_scan import scan_pii
from mlsvs.datacheck.table import source_for

from .helpers import card, iban, write_csv

GOOD_IBANS = ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"]


def test_luhn_and_card_validation() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert card_ok("4111 1111 1111 1111")
    assert card_ok("5555-5555-5555-4444")
    assert card_ok("378282246310005")
    assert not card_ok("4111111111111112")  # fails Luhn
    assert not card_ok("1234567812345670")  # Luhn-valid, unknown issuer
    assert not card_ok("4444444444444444")  # one repeated digit


@pytest.mark.parametrize("value", GOOD_IBANS)
def test_iban_valid(value: str) -> None:
    assert iban_ok(value)
    assert iban_ok(" ".join(value[i : i + 4] for i in range(0, len(value), 4)))


@pytest.mark.parametrize(
    "value", ["DE89370400440532013001", "GB82WEST12345698765433", "DE8937040044053201300"]
)
def test_iban_invalid(value: str) -> None:
    assert not iban_ok(value)


def test_national_ids_and_phones() -> None:
    assert ssn_ok("123-45-6789")
    for bad in ("000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"):
        assert not ssn_ok(bad)
    assert nino_ok("AB123456C")
    assert not nino_ok("GB123456A")  # excluded prefix
    assert not nino_ok("DA123456A")  # D is never a first letter
    assert dni_ok("12345678Z")
    assert not dni_ok("12345678A")
    assert phone_ok("+44 20 7946 0958")
    assert phone_ok("(415) 555-2671")
    assert not phone_ok("+1 23")


def test_find_pii_in_free_text() -> None:
    text = (
        "Contact ana.silva@example.org or +1 415 555 2671, card 4111 1111 1111 1111, "
        "IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, host 2001:db8::1"
    )
    found = {m.entity for m in find_pii(text)}
    assert found == {
        Entity.EMAIL, Entity.PHONE, Entity.CREDIT_CARD, Entity.IBAN, Entity.US_SSN,
        Entity.IP_ADDRESS,
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "DE89370400440532013001",  # mod-97 fails
        "666-45-6789",  # never-issued SSN area
        "version 12:30:45 std::vector",
        "price 1.50 and 2.25, ratio 0.433",
        "2024-01-15",
    ],
)
def test_look_alikes_are_not_pii(text: str) -> None:
    assert find_pii(text) == []


def test_masks_never_show_the_value() -> None:
    assert mask("4111111111111111", Entity.CREDIT_CARD) == "************1111"
    assert mask("ana.silva@example.org", Entity.EMAIL) == "a***@***.org"
    masked = mask("DE89370400440532013000", Entity.IBAN)
    assert masked.startswith("DE") and "3704" not in masked
    assert mask("+44 20 7946 0958", Entity.PHONE).endswith("58")
    assert "7946" not in mask("+44 20 7946 0958", Entity.PHONE)


def test_column_hints() -> None:
    assert Entity.EMAIL in column_hints("customer_email")
    assert Entity.PHONE in column_hints("Phone Number")
    assert Entity.PERSON_NAME in column_hints("full_name")
    assert Entity.DATE_OF_BIRTH in column_hints("dob")
    assert column_hints("income_k") == frozenset()
    assert column_hints("ip_address") == {Entity.IP_ADDRESS}  # not a postal address
    assert column_hints("birth_weight") == frozenset()
    assert column_hints("cell_type") == frozenset()


def test_scan_counts_and_masks_planted_pii(tmp_path) -> None:
    rng = random.Random(3)
    cards = [card(rng) for _ in range(7)]
    ibans = [iban("DE", f"{rng.randrange(10**17, 10**18)}") for _ in range(4)]
    rows = [
        [
            f"user{i}@example.com" if i < 10 else "",
            f"+44 20 7946 {1000 + i}" if i < 5 else "n/a",
            cards[i] if i < 7 else "4111111111111112",  # the rest fail Luhn
            ibans[i] if i < 4 else "DE00123456781234567890",  # bad checksum
            f"note {i}: paid {i}.50 EUR",
            i % 2,
        ]
        for i in range(20)
    ]
    path = write_csv(tmp_path / "train.csv", ["email", "tel", "pan", "account", "note", "y"], rows)
    report = scan_pii(source_for(path, "train.csv"))
    assert report.rows == 20
    assert report.by_entity() == {"credit_card": 7, "email": 10, "iban": 4, "phone": 5}
    hits = {h.column: h for h in report.hits}
    assert hits["email"].confidence is Confidence.HIGH
    assert hits["pan"].samples[0] == "*" * 12 + cards[0][-4:]
    for hit in report.hits:
        assert len(hit.samples) <= 3
        for sample in hit.samples:
            assert sample not in path.read_text()  # masked: never the raw value
    assert report.rows_with_pii == 10


def test_hint_only_columns_and_secrets(tmp_path) -> None:
    token = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3f"
    path = write_csv(
        tmp_path / "people.csv",
        ["name", "dob", "comment"],
        [["Ana Silva", "1990-02-03", f"uses {token}"], ["", "", "nothing here"]],
    )
    report = scan_pii(source_for(path, "people.csv"))
    by = {(h.column, h.entity.value): h for h in report.hits}
    assert by[("name", "person_name")].count == 1
    assert by[("dob", "date_of_birth")].count == 1
    secret = by[("comment", "api_key")]
    assert secret.rule == "secret.huggingface-token"
    assert token not in secret.samples[0]


def test_parquet_and_jsonl_are_scanned(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"mail": ["a@b.org", "x"], "n": [1, 2]}), tmp_path / "t.parquet")
    report = scan_pii(source_for(tmp_path / "t.parquet", "t.parquet"))
    assert report.by_entity() == {"email": 1}
    (tmp_path / "t.jsonl").write_text(
        '{"text": "call +1 415 555 2671"}\n{"text": "x", "extra": {"m": "z@y.io"}}\n'
    )
    report = scan_pii(source_for(tmp_path / "t.jsonl", "t.jsonl"))
    assert report.by_entity() == {"email": 1, "phone": 1}


def test_malformed_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,2\n\xff\xfe,3\n")
    with pytest.raises(DataFileError, match=r"bad.csv: not valid UTF-8"):
        scan_pii(source_for(path, "bad.csv"))
