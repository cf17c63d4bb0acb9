"""Keep the credential out of everything the probes record."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from mlsvs.util.text import one_line

REDACTED = "[REDACTED]"
EXCERPT_CHARS = 200


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces every spelling of the secrets with ``[REDACTED]``.

    Holds the secrets only for the duration of a probe; ``repr`` never shows them.
    """

    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Redactor({len(self.secrets)} secret(s))"

    @classmethod
    def for_secrets(cls, *secrets: str | None) -> Redactor:
        """Every spelling a server might echo: raw, JSON-escaped and base64."""
        forms: set[str] = set()
        for secret in secrets:
            if not secret or len(secret) < 4:
                continue
            forms.add(secret)
            forms.add(json.dumps(secret)[1:-1])
            forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
        return cls(tuple(sorted(forms, key=len, reverse=True)))

    def text(self, value: str) -> str:
        """``value`` with every secret replaced."""
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line, control characters removed, at most ``limit`` characters."""
    return one_line(text, limit)


def excerpt_around(text: str, needle_at: int, limit: int = EXCERPT_CHARS) -> str:
    """An excerpt of ``text`` centred near ``needle_at``."""
    start = max(0, needle_at - limit // 4)
    return excerpt(text[start : start + limit * 2], limit)
