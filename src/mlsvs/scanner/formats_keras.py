"""Keras configurations (.keras ``config.json``, legacy .h5 ``model_config``): code paths.

Lambda layers carry marshalled bytecode; ``module``/``class_name`` pairs outside Keras make
the loader import arbitrary modules (CVE-2025-1550, CVE-2025-9906); ``TFSMLayer`` loads a
SavedModel from a path (CVE-2026-1462). HDF5 is searched for the JSON attribute with the
stdlib only; nothing is loaded.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import Rule

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx, Source

_KERAS_MODULES = ("keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras", "keras_rs")
_LAMBDA = frozenset({"Lambda", "__lambda__"})
_PATH_LAYERS = frozenset({"TFSMLayer"})
_CHUNK = 8 * 1024 * 1024
_MAX_JSON = 64 * 1024 * 1024
_MAX_DEPTH = 200


def check_config_text(ctx: Ctx, raw: bytes, member: str | None) -> None:
    """Analyse a Keras JSON configuration."""
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError):
        ctx.add(finding(Rule.GEN002, "Keras config is not valid JSON", member=member))
        return
    for rule, message, pointer in config_problems(config):
        ctx.add(finding(rule, message, member=member, pointer=pointer))


def config_problems(config: object) -> list[tuple[Rule, str, str]]:
    """(rule, message, JSON pointer) for every code path in a Keras config."""
    out: list[tuple[Rule, str, str]] = []
    stack: list[tuple[object, str, int]] = [(config, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > _MAX_DEPTH:
            out.append((Rule.KRS002, "configuration nested too deeply to verify", pointer))
            continue
        if isinstance(node, dict):
            out.extend(_node_problems(node, pointer))
            stack.extend((v, f"{pointer}/{_escape(str(k))}", depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(node))
    return sorted(out, key=lambda item: (item[2], item[0].value))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _node_problems(node: dict[object, object], pointer: str) -> list[tuple[Rule, str, str]]:
    out: list[tuple[Rule, str, str]] = []
    cls = node.get("class_name")
    module = node.get("module")
    if cls in _LAMBDA:
        out.append((Rule.KRS001, f"{cls} layer with serialized Python code", pointer))
    if cls in _PATH_LAYERS:
        out.append((Rule.KRS002, f"{cls} loads a SavedModel from a path", pointer))
    if isinstance(module, str) and module.split(".")[0] not in _KERAS_MODULES:
        target = node.get("config") if cls == "function" else cls
        out.append((Rule.KRS002, f"references {module}.{target}", pointer))
    if cls == "function" and module is None and isinstance(node.get("config"), str):
        out.append((Rule.KRS002, f"references function {node.get('config')!r}", pointer))
    return out


def scan_hdf5(ctx: Ctx, src: Source, member: str | None) -> None:
    """Find the Keras JSON attributes (``model_config``, ``training_config``) and analyse them.

    The attribute strings are located by a JSON-object search, whatever their key order
    (Keras 1/2 and tf.keras wrote ``class_name`` first, others ``backend``/``config`` first,
    ``json.dumps(sort_keys=True)`` alphabetically). Each candidate is decoded from the chunk
    it was found in; only one cut by the chunk end is re-read, up to 64 MiB.
    """
    seen_attr = False
    decoded = 0
    offset = 0
    while offset < src.size and decoded < _MAX_OBJECTS:
        chunk = src.read_at(offset, _CHUNK + _OVERLAP)
        seen_attr = seen_attr or b"model_config" in chunk
        text = chunk.decode("latin-1")
        skip_to = 0
        for match in _OBJECT_START.finditer(chunk):
            if match.start() >= _CHUNK or decoded >= _MAX_OBJECTS:
                break
            if match.start() < skip_to:
                continue
            value, end = _decode(src, text, offset, match.start())
            if isinstance(value, dict) and _is_keras_config(value):
                decoded += 1
                skip_to = end
                for rule, message, pointer in config_problems(value):
                    ctx.add(finding(rule, message, member=member, pointer=pointer))
        offset += _CHUNK
    if seen_attr and not decoded:
        ctx.add(finding(Rule.GEN002, "model_config attribute could not be decoded", member=member))


_OBJECT_START = re.compile(rb'\{\s*"[A-Za-z_][A-Za-z0-9_]*"\s*:')
_OVERLAP = 4096
_MAX_OBJECTS = 64


def _is_keras_config(value: dict[object, object]) -> bool:
    """A serialized Keras object (model or training config), whatever the key order."""
    if "class_name" in value and "config" in value:
        return True
    return any(
        k in value for k in ("optimizer_config", "loss", "metrics")
    ) and "class_name" in json.dumps(value)


def _decode(src: Source, text: str, base: int, start: int) -> tuple[object, int]:
    """Decode the JSON value at ``start`` of the chunk; re-read it whole if the chunk cut it."""
    decoder = json.JSONDecoder()
    try:
        value, end = decoder.raw_decode(_utf8(text[start:]))
        return value, start + end
    except (ValueError, RecursionError) as exc:
        pos = getattr(exc, "pos", 0)
        if start + pos < len(text) - 16:
            return None, start + 1
    raw = src.read_at(base + start, _MAX_JSON)
    try:
        value, end = decoder.raw_decode(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None, start + 1
    return value, start + end


def _utf8(latin: str) -> str:
    """The chunk was decoded as latin-1 (1 byte = 1 char, offsets kept); JSON strings are UTF-8."""
    return latin.encode("latin-1").decode("utf-8", "replace")
