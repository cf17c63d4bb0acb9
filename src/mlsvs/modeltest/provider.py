"""Hosted-model responses validated before use (M5.3.4): mocked malformed and out-of-range
provider responses must be rejected by the application's own validation function.

The validator is the project's function that turns a provider's raw response (bytes) into the
value the application uses, e.g. ``app/llm_client.py:parse_completion``; it must raise (or
return ``None``) on a response it does not accept. Mutations are derived from a real valid
response (``valid_response``): not JSON, empty, wrong top-level type, each required field
removed, set to null and given the wrong type, and each declared range exceeded (below,
above, NaN, infinity).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlsvs.errors import ConfigError

DEFAULT_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "openai_chat": ("choices", "choices.0.message", "choices.0.message.content"),
    "json": (),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutation:
    """One mocked response and why it must be rejected."""

    name: str
    body: bytes


def _split(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def _get(doc: Any, path: str) -> Any:  # noqa: ANN401 - JSON values
    node = doc
    for part in _split(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise KeyError(path) from None
    return node


def _set(doc: Any, path: str, value: object, *, delete: bool = False) -> Any:  # noqa: ANN401
    out = copy.deepcopy(doc)
    parts = _split(path)
    node = out
    for part in parts[:-1]:
        node = node[part]
    if delete:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return out


def _wrong_type(value: object) -> object:
    if isinstance(value, str):
        return 12345
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return "0.5"
    if isinstance(value, list):
        return {"unexpected": value}
    if isinstance(value, dict):
        return [value]
    return "unexpected"


def mutations(
    valid: Any,  # noqa: ANN401 - JSON document
    required: tuple[str, ...],
    ranges: Mapping[str, tuple[float, float]],
) -> list[Mutation]:
    """Every mocked invalid response derived from ``valid`` (pure, deterministic)."""
    raw = json.dumps(valid).encode()
    out = [
        Mutation(name="not JSON (truncated)", body=raw[: max(1, len(raw) // 2)]),
        Mutation(name="empty body", body=b""),
        Mutation(name="JSON null", body=b"null"),
        Mutation(name="wrong top-level type", body=json.dumps([valid]).encode()),
    ]
    for path in required:
        value = _get(valid, path)
        out.append(
            Mutation(
                name=f"{path} missing",
                body=json.dumps(_set(valid, path, None, delete=True)).encode(),
            )
        )
        out.append(Mutation(name=f"{path} null", body=json.dumps(_set(valid, path, None)).encode()))
        out.append(
            Mutation(
                name=f"{path} wrong type",
                body=json.dumps(_set(valid, path, _wrong_type(value))).encode(),
            )
        )
    for path, (lo, hi) in ranges.items():
        _get(valid, path)  # KeyError: the declared range names no field of the response
        span = (hi - lo) or 1.0
        for label, v in (
            ("below range", lo - span),
            ("above range", hi + span),
            ("NaN", math.nan),
            ("infinity", math.inf),
        ):
            out.append(
                Mutation(name=f"{path} {label}", body=json.dumps(_set(valid, path, v)).encode())
            )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What the validator did with one response."""

    name: str
    accepted: bool
    detail: str = ""


def judge(validator: Callable[[bytes], object], body: bytes, name: str) -> Verdict:
    """Accepted when the validator returns a value; rejected when it raises or returns None."""
    try:
        value = validator(body)
    except Exception as exc:  # noqa: BLE001 - any exception is the validator rejecting it
        return Verdict(name=name, accepted=False, detail=type(exc).__name__)
    return Verdict(name=name, accepted=value is not None)


def parse_section(
    raw: Mapping[str, object],
) -> tuple[str, str, str, tuple[str, ...], dict[str, tuple[float, float]]]:
    """``(validator, valid_response path, format, required, ranges)`` from ``[hosted_model]``."""
    known = {"validator", "valid_response", "format", "required", "ranges"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"hosted_model.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})"
        )
    validator, valid = raw.get("validator"), raw.get("valid_response")
    if not isinstance(validator, str) or ":" not in validator:
        raise ConfigError("hosted_model.validator must be 'module:function' or 'file.py:function'")
    if not isinstance(valid, str) or not valid:
        raise ConfigError("hosted_model.valid_response must name a file with a real valid response")
    fmt = raw.get("format", "openai_chat")
    if fmt not in DEFAULT_REQUIRED:
        raise ConfigError(f"hosted_model.format must be one of {', '.join(DEFAULT_REQUIRED)}")
    req = raw.get("required", list(DEFAULT_REQUIRED[str(fmt)]))
    if not isinstance(req, list) or not all(isinstance(p, str) for p in req):
        raise ConfigError("hosted_model.required must be a list of dotted paths")
    ranges_raw = raw.get("ranges", {})
    if not isinstance(ranges_raw, Mapping):
        raise ConfigError("hosted_model.ranges must be a table of path = [min, max]")
    ranges: dict[str, tuple[float, float]] = {}
    for path, bounds in ranges_raw.items():
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
        ):
            raise ConfigError(f"hosted_model.ranges.{path} must be [min, max]")
        ranges[str(path)] = (float(bounds[0]), float(bounds[1]))
    return validator, valid, str(fmt), tuple(req), ranges
