"""Text made safe for XML 1.0 attributes and elements (escaping is ElementTree's job)."""

from __future__ import annotations

import re

from mlsvs.util.text import strip_control

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, *, multiline: bool = False, limit: int = 8000) -> str:
    """Untrusted text without control characters or code points XML 1.0 cannot carry."""
    if multiline:
        lines = [strip_control(line) for line in text.splitlines()]
        cleaned = "\n".join(lines)
    else:
        cleaned = " ".join(strip_control(text).split())
    cleaned = _NOT_XML.sub("", cleaned)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
