"""Keep credentials out of everything the probes record, and notice when a server echoes one."""

from __future__ import annotations

import base64
import json
import urllib.parse
from dataclasses import dataclass

from mlsvs.util.text import one_line

REDACTED = "[REDACTED]"
EXCERPT_CHARS = 200
MIN_SECRET_CHARS = 4
"""Shorter strings are too likely to occur by chance to be redacted (or called an echo)."""


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces every spelling of the secrets with ``[REDACTED]`` and says which were seen.

    ``secrets`` are (spelling, label) pairs, longest first; the label ("credential", "probe
    credential") names what was echoed without showing it. ``repr`` never shows a secret.
    """

    secrets: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return f"Redactor({len(self.secrets)} spelling(s))"

    @classmethod
    def for_secrets(cls, *secrets: str | None, label: str = "credential") -> Redactor:
        """Every spelling a server might echo: raw, JSON-escaped, URL-encoded and base64."""
        return cls().with_secrets(*secrets, label=label)

    def with_secrets(self, *secrets: str | None, label: str) -> Redactor:
        """This redactor plus ``secrets`` under ``label``."""
        forms: dict[str, str] = dict(self.secrets)
        for secret in secrets:
            if not secret or len(secret) < MIN_SECRET_CHARS:
                continue
            for form in (
                secret,
                json.dumps(secret)[1:-1],
                urllib.parse.quote(secret, safe=""),
                urllib.parse.quote_plus(secret),
                base64.b64encode(secret.encode()).decode().rstrip("="),
            ):
                forms.setdefault(form, label)
        ordered = sorted(forms.items(), key=lambda item: len(item[0]), reverse=True)
        return Redactor(tuple(ordered))

    def text(self, value: str) -> str:
        """``value`` with every secret replaced."""
        return self.scan(value)[0]

    def scan(self, value: str) -> tuple[str, tuple[str, ...]]:
        """``value`` with every secret replaced, and the labels of the secrets found."""
        found: set[str] = set()
        for secret, label in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
                found.add(label)
        return value, tuple(sorted(found))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line, control characters removed, at most ``limit`` characters."""
    return one_line(text, limit)


def excerpt_around(text: str, needle_at: int, limit: int = EXCERPT_CHARS) -> str:
    """An excerpt of ``text`` centred near ``needle_at``."""
    start = max(0, needle_at - limit // 4)
    return excerpt(text[start : start + limit * 2], limit)
