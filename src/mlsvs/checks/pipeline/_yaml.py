"""Reading the YAML and JSON documents pipelines keep: one error type, never a traceback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

MAX_BYTES = 8 * 1024 * 1024
"""Pipeline metadata larger than this is not read (a gap, never a pass)."""


class DocumentError(ValueError):
    """A document could not be read or parsed; the message is one line."""


def read_text(path: Path, rel: str) -> str:
    """The UTF-8 text of ``path``; ``DocumentError`` on I/O, size or encoding problems."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DocumentError(f"{rel}: larger than {MAX_BYTES // (1024 * 1024)} MiB; not read")
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise DocumentError(f"{rel}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{rel}: not UTF-8 text") from None


def load_yaml(text: str, rel: str) -> object:
    """``yaml.safe_load`` with the error reduced to one line (file and position)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise DocumentError(f"{rel}: invalid YAML{where}: {problem}") from None


def load_json(text: str, rel: str) -> object:
    """``json.loads`` with the error reduced to one line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{rel}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def read_yaml(path: Path, rel: str) -> object:
    """Read and parse a YAML file."""
    return load_yaml(read_text(path, rel), rel)


def read_json(path: Path, rel: str) -> object:
    """Read and parse a JSON file."""
    return load_json(read_text(path, rel), rel)


def mapping(value: object, rel: str, what: str) -> dict[str, object]:
    """``value`` as a string-keyed mapping, else ``DocumentError`` naming ``what``."""
    if not isinstance(value, dict):
        raise DocumentError(f"{rel}: {what} must be a mapping, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def strings(value: object) -> tuple[str, ...]:
    """A string or a list of scalars as a tuple of strings (anything else: empty)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float))
    return ()


def items(value: object) -> list[object]:
    """``value`` when it is a list, else an empty list."""
    return list(value) if isinstance(value, list) else []
