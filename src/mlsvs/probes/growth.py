"""Valid-shaped bigger requests, grown from the endpoint's example request (pure).

A body limit or a cost limit is only tested by a request the server would otherwise accept:
more rows of the same batch, a longer text in the same field, or the same document padded with
JSON whitespace. A body of the wrong shape proves nothing (a server that reads 8 MiB and then
answers 422 has no limit).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.probes.bodies import JsonValue

_MARKER = "\x00mlsvs-grow\x00"


@enum.unique
class Axis(enum.StrEnum):
    """How a request is grown."""

    BATCH = "batch"
    """The first list of rows (objects, lists or strings) repeated: a bigger batch."""
    LENGTH = "length"
    """The longest text field repeated: a longer input."""
    PADDING = "padding"
    """JSON whitespace: the same document, more bytes (only for the body limit)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Grower:
    """Builds the request grown ``factor`` times along one axis."""

    axis: Axis
    prefix: str
    suffix: str
    unit: str
    """One row (batch, already JSON) or the text to repeat (length)."""
    count: int
    """Rows / text repetitions in the original request."""

    def body(self, factor: int) -> bytes:
        """The request with ``factor`` times the original rows / text."""
        n = max(1, factor) * self.count
        if self.axis is Axis.BATCH:
            middle = ",".join([self.unit] * n)
            return f"{self.prefix}[{middle}]{self.suffix}".encode()
        text = json.dumps(" ".join([self.unit] * n))
        return f"{self.prefix}{text}{self.suffix}".encode()

    def factor_for(self, size: int) -> int:
        """The smallest factor whose body is at least ``size`` bytes."""
        one = len(self.body(1))
        per_factor = max(1, len(self.body(2)) - one)
        return max(1, -(-(size - one) // per_factor) + 1)


def _dump(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"))


def _find_rows(value: JsonValue, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Path of the first list whose items are all objects, all lists or all strings."""
    if isinstance(value, list):
        if value and (
            all(isinstance(v, dict) for v in value)
            or all(isinstance(v, list) for v in value)
            or all(isinstance(v, str) for v in value)
        ):
            return path
        for index, child in enumerate(value):
            found = _find_rows(child, (*path, index))
            if found is not None:
                return found
    if isinstance(value, dict):
        for key, child in value.items():
            found = _find_rows(child, (*path, key))
            if found is not None:
                return found
    return None


def _longest_text(
    value: JsonValue, path: tuple[str | int, ...] = ()
) -> tuple[tuple[str | int, ...], str] | None:
    best: tuple[tuple[str | int, ...], str] | None = None
    children: list[tuple[str | int, JsonValue]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    elif isinstance(value, str) and value.strip():
        return path, value
    for key, child in children:
        found = _longest_text(child, (*path, key))
        if found is not None and (best is None or len(found[1]) > len(best[1])):
            best = found
    return best


def _get(value: JsonValue, path: tuple[str | int, ...]) -> JsonValue:
    for step in path:
        value = value[step]  # type: ignore[index]
    return value


def _replace(value: JsonValue, path: tuple[str | int, ...], new: JsonValue) -> JsonValue:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(head, str):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    if isinstance(value, list) and isinstance(head, int):
        return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return value


def _split(template: JsonValue, path: tuple[str | int, ...]) -> tuple[str, str]:
    text = _dump(_replace(template, path, _MARKER))
    prefix, _, suffix = text.partition(json.dumps(_MARKER))
    return prefix, suffix


def growers(template: JsonValue) -> tuple[Grower, ...]:
    """The batch and length growers the template allows (possibly none)."""
    found: list[Grower] = []
    rows_path = _find_rows(template)
    if rows_path is not None:
        rows = _get(template, rows_path)
        if not isinstance(rows, list):  # _find_rows only returns paths of lists
            raise TypeError(rows_path)
        prefix, suffix = _split(template, rows_path)
        # Repeat the first row: every row of a valid batch has the same shape.
        found.append(
            Grower(
                axis=Axis.BATCH,
                prefix=prefix,
                suffix=suffix,
                unit=_dump(rows[0]),
                count=len(rows),
            )
        )
    text = _longest_text(template)
    if text is not None:
        path, value = text
        prefix, suffix = _split(template, path)
        found.append(Grower(axis=Axis.LENGTH, prefix=prefix, suffix=suffix, unit=value, count=1))
    return tuple(found)


def padded(template: JsonValue, size: int) -> bytes:
    """The template padded with JSON whitespace to ``size`` bytes (the same document)."""
    text = _dump(template)
    pad = " " * max(0, size - len(text))
    if text[:1] in {"{", "["}:
        return f"{text[0]}{pad}{text[1:]}".encode()
    return f"{pad}{text}".encode()
