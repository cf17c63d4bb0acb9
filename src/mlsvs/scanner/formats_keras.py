"""Keras configurations (.keras ``config.json``, legacy .h5 ``model_config``): code paths.

Lambda layers carry marshalled bytecode; ``module``/``class_name`` pairs outside Keras make
the loader import arbitrary modules (CVE-2025-1550, CVE-2025-9906); ``TFSMLayer`` loads a
SavedModel from a path (CVE-2026-1462). HDF5 is searched for the JSON attribute with the
stdlib only; nothing is loaded.
"""

from __future__ import annotations

import json
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
_STARTS = (b'{"class_name":', b'{"module":', b'{"class_name" :', b'{"module" :')
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
    """Find the Keras ``model_config`` JSON in an HDF5 file and analyse it."""
    seen_attr = False
    offset = 0
    while offset < src.size:
        chunk = src.read_at(offset, _CHUNK + 64)
        seen_attr = seen_attr or b"model_config" in chunk
        for start in _starts(chunk):
            config = _decode_at(src, offset + start)
            if isinstance(config, dict) and "config" in config:
                for rule, message, pointer in config_problems(config):
                    ctx.add(finding(rule, message, member=member, pointer=pointer))
                return
        offset += _CHUNK
    if seen_attr:
        ctx.add(finding(Rule.GEN002, "model_config attribute could not be decoded", member=member))


def _starts(chunk: bytes) -> list[int]:
    found: list[int] = []
    for marker in _STARTS:
        pos = chunk.find(marker)
        while 0 <= pos < _CHUNK and len(found) < 64:
            found.append(pos)
            pos = chunk.find(marker, pos + 1)
    return sorted(found)


def _decode_at(src: Source, offset: int) -> object:
    raw = src.read_at(offset, _MAX_JSON)
    try:
        value, _ = json.JSONDecoder().raw_decode(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    return value
