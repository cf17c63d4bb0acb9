"""MLC872: each dataset's card records a licence that permits training."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline.data_rights import dataset_licence, problem_with
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

ROWS = "ticket_id,text,label\n" + "".join(
    f"{i},printer {i} jams on tray 2,{i % 3}\n" for i in range(60)
)
CARD = """---
license: {license}
language: [en]
task_categories: [text-classification]
size_categories: [n<1K]
pretty_name: Support tickets (sample)
---
# Dataset card: support tickets

## Source
Exported from the helpdesk on 2026-10-01; PII removed by the export job.

## Collection process
Tickets opened by customers through the portal.
"""


@pytest.mark.parametrize(
    ("licence", "problem"),
    [
        ("cc-by-4.0", ""),
        ("Apache-2.0", ""),
        ("cc-by-nc-nd-4.0", "forbids derivatives"),
        ("unknown", "no licence"),
        ("", "no licence"),
    ],
)
def test_licences(licence: str, problem: str) -> None:
    assert (problem in problem_with(licence)) if problem else problem_with(licence) == ""


def test_nearest_card_decides(tmp_path: Path) -> None:
    files = {
        "data/tickets/train.csv": ROWS,
        "data/tickets/README.md": CARD.format(license="cc-by-4.0"),
        "data/vendor/labels.csv": ROWS,
        "data/vendor/README.md": CARD.format(license="unknown"),
    }
    outcomes = {o.key: o.status for o in run(dataset_licence, write(tmp_path, files))}
    assert outcomes == {
        "data/tickets/train.csv": Status.PASS,
        "data/vendor/labels.csv": Status.FAIL,
    }


def test_licence_section_and_missing_card(tmp_path: Path) -> None:
    section = "# Dataset card\n\n## Source\nSynthetic.\n\n## Licence\nCC0-1.0 (public domain).\n"
    files = {"data/train.csv": ROWS, "DATASET_CARD.md": section}
    assert statuses(run(dataset_licence, write(tmp_path, files))) == [Status.PASS]
    [outcome] = run(dataset_licence, write(tmp_path / "n", {"data/train.csv": ROWS}))
    assert outcome.status is Status.FAIL and "no dataset card" in outcome.message
    assert statuses(run(dataset_licence, write(tmp_path / "e", {"a.py": ""}))) == [Status.ABSTAINED]
