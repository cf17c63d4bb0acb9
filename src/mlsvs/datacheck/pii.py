"""Personal-data detectors: one combined regex for candidates, then a validator per entity.

Validators live in ``validators`` (Luhn, IBAN mod-97, phone digit counts, SSN ranges, NINO
prefixes, DNI letters, ``ipaddress``). Masks never reveal more than a few characters of a value.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.validators import (
    card_ok,
    dni_ok,
    iban_ok,
    ip_ok,
    luhn_ok,
    nino_ok,
    phone_ok,
    ssn_ok,
)

if TYPE_CHECKING:
    from collections.abc import Callable


@enum.unique
class Entity(enum.StrEnum):
    """A kind of personal data or secret."""

    EMAIL = "email"
    PHONE = "phone"
    CREDIT_CARD = "credit_card"
    IBAN = "iban"
    IP_ADDRESS = "ip_address"
    US_SSN = "us_ssn"
    UK_NINO = "uk_nino"
    ES_DNI = "es_dni"
    API_KEY = "api_key"
    PERSON_NAME = "person_name"
    POSTAL_ADDRESS = "postal_address"
    DATE_OF_BIRTH = "date_of_birth"


@enum.unique
class Confidence(enum.IntEnum):
    """How sure a hit is: a validated value in a hinted column is HIGH."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


HINT_ONLY = frozenset({Entity.PERSON_NAME, Entity.POSTAL_ADDRESS, Entity.DATE_OF_BIRTH})
"""Entities recognised from the column name alone (no value pattern can tell them apart)."""

_HINTS: tuple[tuple[Entity, re.Pattern[str]], ...] = (
    (Entity.EMAIL, re.compile(r"e[-_ ]?mail")),
    (Entity.PHONE, re.compile(r"phone|mobile|\btel\b|telephone|msisdn|\bcell(ular)?\b(?! type)")),
    (Entity.CREDIT_CARD, re.compile(r"card|\bpan\b|\bcc\b|credit")),
    (Entity.IBAN, re.compile(r"iban|account")),
    (Entity.IP_ADDRESS, re.compile(r"\bip\b|ip[-_ ]?addr|ipv[46]")),
    (Entity.US_SSN, re.compile(r"ssn|social[-_ ]?security")),
    (Entity.UK_NINO, re.compile(r"nino|national[-_ ]?insurance")),
    (Entity.ES_DNI, re.compile(r"\bdni\b|\bnif\b")),
    (Entity.API_KEY, re.compile(r"api[-_ ]?key|token|secret|password")),
    (
        Entity.PERSON_NAME,
        re.compile(
            r"^((full|first|last|middle|given|family|maiden|customer|client|patient|person|"
            r"employee|contact|card ?holder|account ?holder|holder|owner|member|student|"
            r"applicant|passenger|guest|recipient|sender)[-_ ]?|sur)?name$"
        ),
    ),
    (
        Entity.POSTAL_ADDRESS,
        re.compile(r"(?<!ip )(?<!mac )(?<!mail )(?<!web )address|street|postcode|zip code|postal"),
    ),
    (Entity.DATE_OF_BIRTH, re.compile(r"\bdob\b|date of birth|birth ?date|birthday|\bborn\b")),
)


def column_hints(column: str) -> frozenset[Entity]:
    """Entities a column's name suggests (``customer_email`` -> EMAIL)."""
    lowered = column.strip().lower()
    spaced = re.sub(r"[_\-.]+", " ", lowered)
    return frozenset(e for e, rx in _HINTS if rx.search(spaced))


__all__ = [
    "HINT_ONLY",
    "Confidence",
    "Entity",
    "Match",
    "card_ok",
    "column_hints",
    "dni_ok",
    "find_candidates",
    "find_pii",
    "iban_ok",
    "luhn_ok",
    "mask",
    "nino_ok",
    "phone_ok",
    "ssn_ok",
]

_CANDIDATES = re.compile(
    r"(?P<email>(?<![\w.%+-])[^\W_][\w.%+-]{0,63}@(?:[^\W_][\w-]{0,62}\.)+"
    r"[A-Za-z]{2,24}(?![\w-]))"
    r"|(?P<iban>(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9]))"
    r"|(?P<nino>(?<![A-Za-z0-9])[A-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D](?![A-Za-z0-9]))"
    r"|(?P<dni>(?<![A-Za-z0-9])\d{8}-?[A-Z](?![A-Za-z0-9]))"
    r"|(?P<ssn>(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-]))"
    r"|(?P<card>(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-]))"
    r"|(?P<ipv4>(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]))"
    r"|(?P<ipv6>(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:]))"
    r"|(?P<phone>(?<![\w+])(?:\+[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}"
    r"(?:[ .-]?\d{1,4}){1,5}"
    r"|\(\d{3}\)[ ]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4})"
    r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?!\w))"
)
_BARE_DIGITS = re.compile(r"(?<!\d)\d{9,15}(?!\d)")


def _any(candidate: str) -> bool:
    del candidate
    return True


def _ipv4(candidate: str) -> bool:
    return ip_ok(candidate, 4)


def _ipv6(candidate: str) -> bool:
    return ip_ok(candidate, 6)


_VALIDATE: dict[str, tuple[Entity, Callable[[str], bool]]] = {
    "email": (Entity.EMAIL, _any),
    "iban": (Entity.IBAN, iban_ok),
    "nino": (Entity.UK_NINO, nino_ok),
    "dni": (Entity.ES_DNI, dni_ok),
    "ssn": (Entity.US_SSN, ssn_ok),
    "card": (Entity.CREDIT_CARD, card_ok),
    "ipv4": (Entity.IP_ADDRESS, _ipv4),
    "ipv6": (Entity.IP_ADDRESS, _ipv6),
    "phone": (Entity.PHONE, phone_ok),
}
_CHECKSUMMED = frozenset({Entity.CREDIT_CARD, Entity.IBAN, Entity.ES_DNI})


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One value inside a text that has the shape of an entity."""

    entity: Entity
    start: int
    end: int
    confidence: Confidence
    valid: bool = True
    """False: the shape matched but the validator (checksum, ranges, digit count) did not."""


def _digits_ok(value: str) -> bool:
    """A phone column's digit run: 7-15 digits (international prefixes like ``001`` included)."""
    return 7 <= sum(c.isdigit() for c in value) <= 15


def find_candidates(text: str, hints: frozenset[Entity] = frozenset()) -> list[Match]:
    """Every entity-shaped value in ``text``, validated or not (``Match.valid``)."""
    found: list[Match] = []
    for match in _CANDIDATES.finditer(text):
        group = match.lastgroup
        if group is None:
            continue
        entity, validate = _VALIDATE[group]
        value = match.group(group)
        valid = validate(value)
        if not valid and group in {"card", "ssn"} and Entity.PHONE in hints and _digits_ok(value):
            # An SSN-shaped card-digit run etc.: give the digits a second chance as a phone.
            entity, valid = Entity.PHONE, True
        found.append(
            Match(
                entity=entity,
                start=match.start(group),
                end=match.end(group),
                confidence=_confidence(entity, hints),
                valid=valid,
            )
        )
    if hints & {Entity.PHONE, Entity.US_SSN} and not any(m.valid for m in found):
        found.extend(_bare_digits(text, hints))
    return found


def find_pii(text: str, hints: frozenset[Entity] = frozenset()) -> list[Match]:
    """Validated personal-data values in ``text``; ``hints`` come from the column name."""
    return [m for m in find_candidates(text, hints) if m.valid]


def _bare_digits(text: str, hints: frozenset[Entity]) -> list[Match]:
    out: list[Match] = []
    for match in _BARE_DIGITS.finditer(text):
        value = match.group(0)
        if Entity.US_SSN in hints and len(value) == 9 and ssn_ok(value):
            entity = Entity.US_SSN
        elif Entity.PHONE in hints and phone_ok(value):
            entity = Entity.PHONE
        else:
            continue
        out.append(
            Match(entity=entity, start=match.start(), end=match.end(), confidence=Confidence.MEDIUM)
        )
    return out


def _confidence(entity: Entity, hints: frozenset[Entity]) -> Confidence:
    if entity in hints or entity in _CHECKSUMMED:
        return Confidence.HIGH
    if entity is Entity.IP_ADDRESS:
        return Confidence.LOW
    return Confidence.MEDIUM


def mask(value: str, entity: Entity) -> str:
    """A masked sample that never shows the whole value (at most the last four characters)."""
    compact = value.strip()
    if entity is Entity.EMAIL and "@" in compact:
        local, _, domain = compact.rpartition("@")
        tld = domain.rsplit(".", 1)[-1]
        return f"{local[:1]}***@***.{tld}"
    if entity in {Entity.CREDIT_CARD, Entity.PHONE, Entity.US_SSN, Entity.ES_DNI}:
        digits = re.sub(r"[^0-9A-Za-z]", "", compact)
        keep = 4 if entity is Entity.CREDIT_CARD else 2
        return "*" * (len(digits) - keep) + digits[-keep:]
    if entity is Entity.IBAN:
        compact = compact.replace(" ", "")
        return compact[:2] + "*" * (len(compact) - 4) + compact[-2:]
    if len(compact) <= 4:
        return "*" * len(compact)
    keep = 1 if len(compact) < 12 else 2
    return compact[:keep] + "*" * (len(compact) - 2 * keep) + compact[-keep:]
