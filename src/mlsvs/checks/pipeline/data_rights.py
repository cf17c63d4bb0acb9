"""Licence of the training data recorded (M2.1.4), the machine-checkable clause.

Each dataset in the project needs a dataset card (in its directory or above) whose front
matter names the licence (``license:``, an SPDX identifier, or ``other`` with
``license_name``/``license_link``), and the licence must not be one that forbids the use:
unknown, or NoDerivatives (training produces a derived work). Non-commercial licences are
reported as facts: whether they cover the actual use, and where consent is the legal basis
whether consent records exist, is for the reviewer's attestation (the hybrid clause).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    CardDocument,
    CardKind,
    DatasetArtifact,
    Project,
    Severity,
    abstained,
    check,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_UNUSABLE = ("unknown", "none", "no-license", "unlicensed", "proprietary-unknown")


_SPDX = re.compile(
    r"\b(Apache-2\.0|MIT|BSD-[23]-Clause|CC0-1\.0|CC-BY(?:-SA|-NC|-ND|-NC-SA|-NC-ND)?-[1-4]\.0"
    r"|ODbL-1\.0|ODC-By-1\.0|PDDL-1\.0|CDLA-(?:Permissive|Sharing)-[12]\.0|[AL]?GPL-[23]\.0"
    r"|MPL-2\.0|Unlicense|OpenRAIL[-\w]*)\b",
    re.I,
)
_HEADING = re.compile(r"^#{1,6}\s*(licen[cs]e|licensing)\b.*$", re.I | re.M)


def _section_licence(card: CardDocument) -> str:
    """An SPDX identifier in the card's Licence section ('' when none)."""
    try:
        text = card.absolute.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    match = _HEADING.search(text)
    if match is None:
        return ""
    body = re.split(r"^#{1,6}\s", text[match.end() :], maxsplit=1, flags=re.M)[0]
    found = _SPDX.search(body)
    return found.group(1) if found else ""


def licence_of(card: CardDocument) -> str:
    """The licence a card records: front matter ``license``, else its Licence section."""
    value = card.metadata.get("license") or _section_licence(card)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value or "").strip()
    if text.lower() == "other":
        named = card.metadata.get("license_name") or card.metadata.get("license_link")
        return f"other: {named}" if named else ""
    return text


def problem_with(licence: str) -> str:
    """Why ``licence`` does not permit training ('' when it may)."""
    lowered = licence.lower()
    if not lowered or lowered in _UNUSABLE:
        return "no licence permitting use is recorded"
    if "-nd" in lowered or "noderiv" in lowered:
        return f"{licence} forbids derivatives (a trained model is one)"
    return ""


def _card_for(dataset: DatasetArtifact, cards: list[CardDocument]) -> CardDocument | None:
    parents = [p.as_posix() for p in PurePosixPath(dataset.path).parents]
    for parent in parents:  # nearest directory first
        here = [c for c in cards if PurePosixPath(c.path).parent.as_posix() == parent]
        if here:
            return here[0]
    return None


@check(
    id="MLC872",
    title="Every dataset has a card recording a licence that permits training",
    requirements=["M2.1.4"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(CardDocument, DatasetArtifact),
    remediation="Add a dataset card with front matter 'license: <SPDX id>' (or 'other' with "
    "license_name and license_link to the contract) next to the data; have the reviewer "
    "attest that the terms and any consent records cover the training use.",
)
def dataset_licence(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The nearest dataset card of each dataset names a licence that allows derived models."""
    datasets = project.of_type(DatasetArtifact)
    cards = [c for c in project.of_type(CardDocument) if c.card == CardKind.DATASET]
    if not datasets:
        yield abstained(
            "no dataset in the project: the training data and its licence are elsewhere"
        )
        return
    for dataset in datasets:
        card = _card_for(dataset, cards)
        if card is None:
            yield failed(f"{dataset.path}: no dataset card records its licence", key=dataset.path)
            continue
        licence = licence_of(card)
        problem = problem_with(licence)
        facts = (("card", card.path), ("licence", licence or "none"))
        if problem:
            yield failed(f"{dataset.path}: {card.path}: {problem}", key=dataset.path, facts=facts)
        else:
            note = (
                " (non-commercial: the reviewer must confirm the use)"
                if "-nc" in licence.lower()
                else ""
            )
            yield passed(
                f"{dataset.path}: licence {licence} recorded in {card.path}{note}",
                key=dataset.path,
                facts=facts,
            )
