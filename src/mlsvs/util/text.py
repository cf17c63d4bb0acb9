"""Make text from scanned files safe to show."""

from __future__ import annotations

import re

# C0 and C1 controls except tab and newline, plus DEL: enough to neutralise ANSI/OSC escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Remove control characters (escape sequences lose their ESC and become inert)."""
    return _CONTROL.sub("", text)


def one_line(text: str, limit: int = 200) -> str:
    """Control-free, single-line, truncated text for messages and table cells."""
    flat = " ".join(strip_control(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
