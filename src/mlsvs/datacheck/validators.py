"""Checksum and shape validators for personal-data candidates (stdlib only).

Luhn + issuer prefix for payment cards, ISO 13616 length + ISO 7064 mod-97 for IBANs, digit
counts for phones, ``ipaddress`` for IPs, never-issued ranges for US SSNs, prefix rules for UK
NINOs and the mod-23 letter of Spanish DNIs.
"""

from __future__ import annotations

import functools
import ipaddress
import re

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
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$")
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
    """Digit count of a phone number: 8-15 with a ``+`` country code, 10-11 nationally.

    An extension (``x123``, ``ext. 12``) is not part of the count.
    """
    digits = re.sub(r"\D", "", _EXTENSION.sub("", candidate))
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


_NATIONAL_REGIONS = ("GB", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "IE", "AU", "IN")


@functools.lru_cache(maxsize=65_536)
def phone_number_valid(candidate: str) -> bool | None:
    """Whether libphonenumber's metadata knows the number (None: ``phonenumbers`` missing).

    ``+`` numbers are parsed internationally; ``0``-prefixed national numbers are tried in a
    few European/Commonwealth regions; other national formats as North American numbers.
    """
    try:
        import phonenumbers
    except ImportError:
        return None
    text = _EXTENSION.sub("", candidate.strip())
    if text.startswith("+"):
        regions: tuple[str | None, ...] = (None,)
    elif text.startswith("0"):
        regions = _NATIONAL_REGIONS
    else:
        regions = ("US",)
    for region in regions:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False
