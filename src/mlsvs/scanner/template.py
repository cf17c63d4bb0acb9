"""Jinja2 chat templates: static detection of server-side template injection (SSTI)."""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_DUNDER = re.compile(r"__\w+__|_TemplateReference__context")
_CHECKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_DUNDER, "accesses Python internals"),
    (re.compile(r"\|\s*attr\b|\battr\s*\("), "uses the attr filter to fetch attributes by name"),
    (re.compile(r"\\x5f|\\u005f|\\137|\\N\{LOW LINE\}", re.IGNORECASE), "escapes underscores"),
    (
        re.compile(r"\b(?:cycler|joiner|lipsum|namespace|range|dict|self|config|request)\s*\.\s*_"),
        "reaches a Jinja global's private attributes",
    ),
    (
        re.compile(
            r"\b(?:os|popen|subprocess|eval|exec|import|builtins|globals|getattr|"
            r"mro|subclasses|func_globals)\b\s*[(.\[]|\bsystem\s*\("
        ),
        "names an operating-system or interpreter primitive",
    ),
    (
        re.compile(r"""(['"])_{1,2}\1|(['"])_['"]\s*~|~\s*(['"])_['"]"""),
        "builds names from underscores",
    ),
    (re.compile(r"""['"][^'"]*__[^'"]*['"]"""), "string literal with a double underscore"),
    (re.compile(r"\|\s*(?:format|join|reverse)\b.*\|\s*attr", re.DOTALL), "computed attribute"),
)


def template_problems(template: str) -> list[str]:
    """Descriptions of SSTI indicators inside Jinja expressions/statements (empty = clean)."""
    found: dict[str, str] = {}
    for block in _BLOCK.findall(template):
        code = _QUOTED.sub(_keep_underscored, block)
        for pattern, why in _CHECKS:
            match = pattern.search(code)
            if match and why not in found:
                found[why] = match.group(0).strip()[:60]
    return [f"{why}: {snippet!r}" for why, snippet in sorted(found.items())]


_QUOTED = re.compile(r"""(['"])(?:(?!\1).)*\1""", re.DOTALL)


def _keep_underscored(match: re.Match[str]) -> str:
    # Prompt text inside string literals ("You are a helpful assistant ...") may contain words
    # like "import"; only literals with underscores matter (they can build dunder names).
    return match.group(0) if "_" in match.group(0) else "''"
