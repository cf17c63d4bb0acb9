"""Make text from scanned files safe to show."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Mapping
from typing import TypeVar, cast

T = TypeVar("T")

# C0 and C1 controls except tab and newline, plus DEL: enough to neutralise ANSI/OSC escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Remove control characters (escape sequences lose their ESC and become inert)."""
    return _CONTROL.sub("", text)


def one_line(text: str, limit: int = 200) -> str:
    """Control-free, single-line, truncated text for messages and table cells."""
    flat = " ".join(strip_control(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Fields that carry file names (escaped fully: a newline in a name must not split a line).
PATH_FIELDS = frozenset({"path", "item", "root", "member", "target_path", "file"})


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``text`` without lone surrogates, so it encodes as UTF-8 and is valid JSON/XML.

    A file name that is not UTF-8 reaches Python as surrogate escapes (``b"\\xff"`` becomes
    ``"\\udcff"``); it is shown as the visible escape ``\\xff`` instead, like ``ls -b``.
    """
    return _SURROGATE.sub(_escape_surrogate, text) if _SURROGATE.search(text) else text


def safe_path(text: str) -> str:
    """A file name safe for every output: surrogates and control characters escaped."""
    cleaned = safe_text(text)
    if not _PATH_CONTROL.search(cleaned):
        return cleaned
    return _PATH_CONTROL.sub(_escape_control, cleaned)


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sanitize(value: T) -> T:
    """A copy of ``value`` (dataclasses, tuples, lists, dicts, strings) safe to serialise.

    Every string loses its lone surrogates; strings in fields named like paths (``path``,
    ``item`` ...) also have control characters escaped. Enums and other values are kept.
    Objects with nothing to change are returned as they are (no copy).
    """
    return cast("T", _clean(value, path_like=False))


_KEPT = frozenset({int, float, bool, bytes, type(None)})
"""Types returned as they are without further tests (most fields of a report)."""


def _clean(value: object, *, path_like: bool) -> object:
    kind = type(value)
    if kind is str:  # exactly str: enum members and other str subclasses are kept as they are
        text = cast("str", value)
        return safe_path(text) if path_like else safe_text(text)
    if kind in _KEPT or isinstance(value, enum.Enum):
        return value
    if isinstance(value, tuple):
        items = tuple(_clean(v, path_like=path_like) for v in value)
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if hasattr(value, "_fields"):  # a named tuple: rebuild the same type
            rebuild: Callable[..., object] = type(value)
            return rebuild(*items)
        return items
    if isinstance(value, list):
        cleaned = [_clean(v, path_like=path_like) for v in value]
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if isinstance(value, Mapping):
        pairs = [
            (k, v, _clean(k, path_like=False), _clean(v, path_like=path_like))
            for k, v in value.items()
        ]
        if all(k is nk and v is nv for k, v, nk, nv in pairs):
            return value
        return {nk: nv for _, _, nk, nv in pairs}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = _clean(old, path_like=f.name in PATH_FIELDS)
            if new is not old:
                changes[f.name] = new
        if not changes:
            return value
        if any(not f.init for f in dataclasses.fields(value)):
            return value  # cannot be rebuilt through __init__; leave it whole
        return dataclasses.replace(value, **changes)
    return value
