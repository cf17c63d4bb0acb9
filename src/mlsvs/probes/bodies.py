"""Hostile request bodies derived from the endpoint's valid request template (pure)."""

from __future__ import annotations

import json

from mlsvs.probes.types import RequestKind

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

LONG_INTEGER_DIGITS = 5_000
"""Longer than CPython's default int-parsing limit (4 300 digits, CVE-2020-10735)."""
SLOW_BODY_BYTES = 1024


class TemplateError(ValueError):
    """The request template is not a JSON document."""


def parse_template(template: str) -> JsonValue:
    """The template as JSON; ``TemplateError`` with a one-line reason otherwise."""
    try:
        value: JsonValue = json.loads(template)
    except ValueError as exc:
        raise TemplateError(f"request_template is not valid JSON: {exc}") from None
    return value


def _dump(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"))


def _map_leaves(value: JsonValue, fn: _LeafFn) -> JsonValue:
    if isinstance(value, dict):
        return {k: _map_leaves(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_leaves(v, fn) for v in value]
    return fn(value)


class _LeafFn:
    """A leaf transformation (a class so mypy can name the recursive signature)."""

    def __init__(self, kind: RequestKind) -> None:
        self.kind = kind

    def __call__(self, leaf: JsonValue) -> JsonValue:
        if self.kind is RequestKind.WRONG_TYPES:
            if isinstance(leaf, bool | int | float) or leaf is None:
                return "not-a-number"
            return {"unexpected": [leaf]}
        if isinstance(leaf, int | float) and not isinstance(leaf, bool):
            return _MARKER
        return leaf


_MARKER = "\x00mlsvs-number\x00"


def _numbers_replaced(template: JsonValue, token: str) -> str:
    """Every numeric leaf replaced by a raw JSON token (which ``json`` cannot produce)."""
    text = _dump(_map_leaves(template, _LeafFn(RequestKind.HUGE_NUMBERS)))
    marker = json.dumps(_MARKER)
    if marker in text:
        return text.replace(marker, token)
    # No number in the template: add one where the server has to read it.
    if isinstance(template, dict) and template:
        return f'{text[:-1]},"mlsvs_number":{token}}}'
    return f'{{"mlsvs_number":{token}}}'


def malformed_bodies(template: JsonValue) -> tuple[tuple[RequestKind, bytes], ...]:
    """One body per malformed-input probe, derived from the valid template."""
    valid = _dump(template)
    return (
        # Truncated JSON: the first half of a valid document.
        (RequestKind.MALFORMED_JSON, (valid[: max(1, len(valid) // 2)] + "\x01").encode()),
        (
            RequestKind.WRONG_TYPES,
            _dump(_map_leaves(template, _LeafFn(RequestKind.WRONG_TYPES))).encode(),
        ),
        (RequestKind.MISSING_FIELDS, b"{}" if isinstance(template, dict) and template else b"null"),
        (RequestKind.HUGE_NUMBERS, _numbers_replaced(template, "1e400").encode()),
        (RequestKind.LONG_INTEGER, _numbers_replaced(template, "9" * LONG_INTEGER_DIGITS).encode()),
        (RequestKind.NON_FINITE, _numbers_replaced(template, "NaN").encode()),
    )


def nested_body(depth: int) -> bytes:
    """``{"data": [[[ … ]]]}`` nested ``depth`` levels deep."""
    return b'{"data":' + b"[" * depth + b"]" * depth + b"}"


def slow_body(template: JsonValue) -> tuple[bytes, int]:
    """A body to trickle and the (larger) Content-Length to announce for it."""
    data = _dump(template).encode().ljust(SLOW_BODY_BYTES, b" ")
    return data, len(data)
