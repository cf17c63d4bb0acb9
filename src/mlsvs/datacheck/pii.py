"""Personal-data detectors: one combined regex for candidates, then a validator per entity.

Validators: Luhn + issuer prefix for payment cards; ISO 13616 length table + mod-97 for IBANs;
digit counts for phone numbers (E.164: 8-15 digits after ``+``; national formats need
separators); ``ipaddress`` for IPv4/IPv6; invalid-range exclusion for US SSNs (area 000, 666,
900-999, group 00, serial 0000); prefix rules for UK NINOs; the check letter of Spanish DNIs.
Masks never reveal more than a few characters of a value.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
        re.compile(r"^(full[-_ ]?|first[-_ ]?|last[-_ ]?|sur|given[-_ ]?|family[-_ ]?)?name$"),
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
    r"|\(\d{3}\)[ ]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4})(?!\w))"
)
_BARE_DIGITS = re.compile(r"(?<!\d)\d{9,15}(?!\d)")

# ISO 13616 IBAN lengths (common registry subset; unknown countries need only pass mod-97).
_IBAN_LENGTH = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28,
    "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22,
    "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "ME": 22,
    "MK": 19, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
    "TR": 26, "UA": 29,
}  # fmt: skip
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})
_NINO_FIRST = frozenset("ABCEGHJKLMNOPRSTWXYZ")
_NINO_SECOND = frozenset("ABCEGHJKLMNPRSTWXYZ")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod-10) checksum over a digit string."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _issuer_ok(digits: str) -> bool:
    two, four = int(digits[:2]), int(digits[:4])
    n = len(digits)
    return (
        (digits[0] == "4" and n in {13, 16, 19})
        or (51 <= two <= 55 and n == 16)
        or (2221 <= four <= 2720 and n == 16)
        or (two in {34, 37} and n == 15)
        or ((digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649) and n >= 16)
        or (3528 <= four <= 3589 and n >= 16)
        or (two in {36, 38, 39} and n >= 14)
        or (300 <= int(digits[:3]) <= 305 and n >= 14)
        or (two == 62 and n >= 16)
        or (two in {50, 56, 57, 58, 67} and n >= 12)
    )


def card_ok(candidate: str) -> bool:
    """A payment card number: 13-19 digits, a known issuer prefix, Luhn-valid, not one digit."""
    digits = re.sub(r"[ -]", "", candidate)
    return (
        13 <= len(digits) <= 19 and len(set(digits)) > 1 and _issuer_ok(digits) and luhn_ok(digits)
    )


def iban_ok(candidate: str) -> bool:
    """An IBAN: registry length for known countries and the ISO 7064 mod-97 check."""
    compact = candidate.replace(" ", "").upper()
    expected = _IBAN_LENGTH.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def ssn_ok(candidate: str) -> bool:
    """A US SSN outside the never-issued ranges."""
    digits = candidate.replace("-", "")
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return area not in {0, 666} and area < 900 and group != 0 and serial != 0


def nino_ok(candidate: str) -> bool:
    """A UK National Insurance number: valid prefix letters, six digits, suffix A-D."""
    compact = candidate.replace(" ", "").upper()
    return (
        len(compact) == 9
        and compact[0] in _NINO_FIRST
        and compact[1] in _NINO_SECOND
        and compact[:2] not in _NINO_BAD_PREFIX
        and compact[2:8].isdigit()
        and compact[8] in "ABCD"
    )


def dni_ok(candidate: str) -> bool:
    """A Spanish DNI: eight digits and the matching mod-23 check letter."""
    compact = candidate.replace("-", "").upper()
    return (
        len(compact) == 9
        and compact[:8].isdigit()
        and _DNI_LETTERS[int(compact[:8]) % 23] == compact[8]
    )


def phone_ok(candidate: str) -> bool:
    """Digit count of a phone number: 8-15 with a ``+`` country code, 10-11 nationally."""
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15
    return 10 <= len(digits) <= 11 and len(set(digits)) > 2


def ip_ok(candidate: str, version: int) -> bool:
    """A syntactically valid address (IPv6 needs at least three groups)."""
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    if version == 6:
        groups = [g for g in candidate.split(":") if g]
        return address.version == 6 and len(groups) >= 3
    return address.version == 4


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
    """One validated value inside a text."""

    entity: Entity
    start: int
    end: int
    confidence: Confidence


def find_pii(text: str, hints: frozenset[Entity] = frozenset()) -> list[Match]:
    """Validated personal-data values in ``text``; ``hints`` come from the column name."""
    found: list[Match] = []
    for match in _CANDIDATES.finditer(text):
        group = match.lastgroup
        if group is None:
            continue
        entity, validate = _VALIDATE[group]
        value = match.group(group)
        if not validate(value):
            # An SSN-shaped card-digit run etc.: give the digits a second chance as a phone.
            if group in {"card", "ssn"} and phone_ok(value) and Entity.PHONE in hints:
                entity = Entity.PHONE
            else:
                continue
        found.append(
            Match(
                entity=entity,
                start=match.start(group),
                end=match.end(group),
                confidence=_confidence(entity, hints),
            )
        )
    if hints & {Entity.PHONE, Entity.US_SSN} and not found:
        found.extend(_bare_digits(text, hints))
    return found


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
