"""ACME001: model cards name an accountable owner (MLSVS M1.1.1 asks for owners)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.plugin import (
    CardDocument,
    CardKind,
    CheckContext,
    Gap,
    GapReason,
    Outcome,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

OWNER_KEYS = ("owner", "owners", "maintainer", "maintainers", "contact")
OWNER_SECTIONS = ("owner", "owners", "maintainers", "contact", "model card contact")


@check(
    id="ACME001",
    title="Model cards name an accountable owner",
    requirements=["M1.1.1"],
    applies_to=CardDocument,
    severity=Severity.MEDIUM,
    remediation="Add `owner: team@example.com` to the card's front matter or an '## Owner' "
    "section naming the accountable team.",
)
def card_names_owner(ctx: CheckContext, card: CardDocument) -> Iterator[Outcome]:
    """Pass when a model card's front matter has an owner key or the card has an owner
    section; fail otherwise. Dataset cards are not applicable. A card whose front matter
    could not be parsed is not verified (its owner may be declared there)."""
    if card.card is not CardKind.MODEL:
        yield not_applicable("a dataset card; owners are checked on model cards")
        return
    for key in OWNER_KEYS:
        value = card.metadata.get(key)
        if isinstance(value, str | list) and value:
            yield passed(f"{card.path} names its owner in the front matter ({key})")
            return
    if any(section in OWNER_SECTIONS for section in card.sections):
        yield passed(f"{card.path} has an owner section")
        return
    try:
        head = card.absolute.read_bytes()[:3]
    except OSError as exc:
        gap = Gap(item=card.path, reason=GapReason.UNREADABLE, detail=exc.strerror or "")
        yield not_verified(f"{card.path}: cannot be read", gap)
        return
    if not card.metadata and head == b"---":
        gap = Gap(item=card.path, reason=GapReason.UNPARSEABLE, detail="front matter")
        yield not_verified(f"{card.path}: front matter could not be read", gap)
        return
    yield failed(f"{card.path} names no owner", facts=(("card", card.path),))
