"""MLC1005 (M2.1.2): the dataset card's feature table against the columns of the data files."""

from __future__ import annotations

from mlsvs.checks.data.feature_list import features_justified
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

CARD = """---
license: apache-2.0
pretty_name: Claims triage v3
task_categories: [text-classification]
---
# Dataset card: claims-triage-v3

## Source
Claims submitted through the portal between 2025-01 and 2026-06, exported from the claims
system by the data engineering team.

## Features

| Feature | Type | Purpose |
|---|---|---|
| `claim_amount` | float | Size of the claim drives the review queue. |
| `policy_age_days` | int | Fraud rate is highest on new policies. |
| `postcode_district` | str | {postcode} |
| `customer_id` | str | {customer} |
| `label` | int | Target: 1 = needs manual review. |

## Personal data
Pseudonymised customer IDs; postcodes coarsened to the district.
"""

DATA = (
    "customer_id,claim_amount,policy_age_days,postcode_district,label\n"
    "c-10293,1250.00,35,SW1A,1\n"
    "c-20931,310.50,1210,M1,0\n"
    "c-33019,89.99,410,EH3,0\n"
)

JUSTIFIED = {
    "{postcode}": "Regional fraud rings; district only, never the full postcode.",
    "{customer}": "Joins repeat claims of one customer; pseudonymous, dropped before export.",
}


def _card(**values: str) -> str:
    text = CARD
    for key, value in {**JUSTIFIED, **values}.items():
        text = text.replace(key, value)
    return text


def _statuses(tmp_path, files):
    return {o.key: o.status for o in run(features_justified, write(tmp_path, files))}


def test_every_column_listed_and_sensitive_ones_justified_passes(tmp_path) -> None:
    found = _statuses(tmp_path, {"DATASET_CARD.md": _card(), "data/train.csv": DATA})
    assert found == {"data/train.csv": Status.PASS}


def test_sensitive_column_without_justification_fails(tmp_path) -> None:
    project = write(
        tmp_path, {"DATASET_CARD.md": _card(**{"{customer}": "—"}), "data/train.csv": DATA}
    )
    outcomes = run(features_justified, project)
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert "customer_id is sensitive or identifying" in outcomes[0].message


def test_unlisted_column_and_list_mismatch_fail(tmp_path) -> None:
    data = DATA.replace("label\n", "label,adjuster_notes\n", 1).replace(",1\n", ",1,called twice\n")
    found = _statuses(tmp_path, {"DATASET_CARD.md": _card(), "data/train.csv": data})
    assert found["data/train.csv"] is Status.FAIL
    card = _card().replace("| `label` |", "| `claimant_age` | int | Age bands. |\n| `label` |")
    found = _statuses(tmp_path, {"DATASET_CARD.md": card, "data/train.csv": DATA})
    assert found == {"data/train.csv": Status.PASS, "list-vs-schema": Status.FAIL}


def test_no_feature_list(tmp_path) -> None:
    card = CARD.split("## Features", maxsplit=1)[0]
    # Identifying columns and no list: fail; harmless columns and no list: not verified.
    assert _statuses(tmp_path, {"DATASET_CARD.md": card, "data/train.csv": DATA}) == {
        "data/train.csv": Status.FAIL
    }
    plain = "claim_amount,policy_age_days,label\n12.5,30,0\n"
    assert _statuses(tmp_path, {"data/train.csv": plain}) == {"data/train.csv": Status.NOT_VERIFIED}


def test_unreadable_dataset_is_not_verified(tmp_path) -> None:
    project = write(
        tmp_path,
        {"DATASET_CARD.md": _card(), "data/train.csv": b"claim_amount,\xff\xfelabel\n1,0\n"},
    )
    outcomes = run(features_justified, project)
    assert Status.PASS not in {o.status for o in outcomes}
    assert outcomes[0].status is Status.NOT_VERIFIED and outcomes[0].key == "unread"
