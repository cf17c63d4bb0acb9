"""Keras configurations (.keras ``config.json``, legacy .h5 ``model_config``): code paths.

Lambda layers carry marshalled bytecode; ``module``/``class_name`` pairs outside Keras make
the loader import arbitrary modules (CVE-2025-1550, CVE-2025-9906); ``TFSMLayer`` loads a
SavedModel from a path (CVE-2026-1462). HDF5 is searched for the JSON attribute with the
stdlib only; nothing is loaded.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import TYPE_CHECKING

from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource, Ctx

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
        ctx.add(finding(ScanRule.GEN002, "Keras config is not valid JSON", member=member))
        return
    for rule, message, pointer in config_problems(config):
        ctx.add(finding(rule, message, member=member, pointer=pointer))


def config_problems(config: object) -> list[tuple[ScanRule, str, str]]:
    """(rule, message, JSON pointer) for every code path in a Keras config."""
    out: list[tuple[ScanRule, str, str]] = []
    stack: list[tuple[object, str, int]] = [(config, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > _MAX_DEPTH:
            out.append((ScanRule.KRS002, "configuration nested too deeply to verify", pointer))
            continue
        if isinstance(node, dict):
            out.extend(_node_problems(node, pointer))
            stack.extend((v, f"{pointer}/{_escape(str(k))}", depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(node))
    return sorted(out, key=lambda item: (item[2], item[0].value))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _node_problems(node: dict[object, object], pointer: str) -> list[tuple[ScanRule, str, str]]:
    out: list[tuple[ScanRule, str, str]] = []
    cls = node.get("class_name")
    module = node.get("module")
    if cls in _LAMBDA:
        out.append((ScanRule.KRS001, f"{cls} layer with serialized Python code", pointer))
    if cls in _PATH_LAYERS:
        out.append((ScanRule.KRS002, f"{cls} loads a SavedModel from a path", pointer))
    target = node.get("config") if cls == "function" else cls
    if isinstance(module, str):
        why = _module_problem(module, target, is_function=cls == "function")
        if why:
            out.append((ScanRule.KRS002, f"references {module}.{target}: {why}", pointer))
    elif cls == "function" and isinstance(target, str):
        out.append((ScanRule.KRS002, f"references function {target!r} without a module", pointer))
    return out


# Keras resolves ``{"module": "builtins", "class_name": "function"}`` among its own built-in
# functions (activations, losses, metrics ...); releases before 3.9 imported the module and
# took any attribute, so a Python builtin (eval, exec, open ...) named there runs.
_PY_BUILTINS = frozenset(dir(builtins))
# Keras packages whose functions are modelling operations (what a config legitimately names).
_MODELING_FUNCTIONS = (
    "activations", "losses", "metrics", "ops", "initializers", "regularizers", "constraints",
    "optimizers", "random", "layers", "applications", "backend",
)  # fmt: skip
# Keras APIs that are not modelling operations (keras.saving.serialization_lib's list and
# their keras.src locations): re-enable unsafe deserialisation, load/save files, fetch URLs.
_NON_MODELING = frozenset(
    {"clear_session", "enable_unsafe_deserialization", "disable_unsafe_deserialization",
     "load_model", "model_from_json", "save_model", "image_dataset_from_directory", "load_img",
     "save_img", "text_dataset_from_directory", "audio_dataset_from_directory",
     "deserialize_keras_object", "load_weights", "register_keras_serializable", "save_weights",
     "serialize_keras_object", "get_file", "timeseries_dataset_from_array", "load_data",
     "set_floatx", "set_epsilon", "set_image_data_format", "set_backend",
     "enable_traceback_filtering"}
)  # fmt: skip
_UNSAFE_SEGMENTS = frozenset({"saving", "config", "export", "legacy", "datasets"})


def _module_problem(module: str, target: object, *, is_function: bool) -> str:
    """Why a ``module`` reference can reach code beyond modelling, or '' when it cannot."""
    root = module.split(".", maxsplit=1)[0]
    name = target if isinstance(target, str) else ""
    if module == "builtins" and is_function:
        if name in _PY_BUILTINS or not name.replace(">", "_").isidentifier():
            return "a Python builtin (older Keras imports it)"
        return ""
    if root not in _KERAS_MODULES:
        return "outside Keras (imported and called on load)"
    if name.rsplit(">", 1)[-1] in _NON_MODELING:
        return "a non-modelling Keras API (files, downloads or unsafe deserialisation)"
    parts = module.split(".")[1:]
    if parts[:1] == ["src"]:
        parts = parts[1:]
    if is_function and parts and parts[0] not in _MODELING_FUNCTIONS:
        return f"a function outside Keras' modelling packages ({parts[0]})"
    if parts and parts[0] in _UNSAFE_SEGMENTS and not is_function:
        return f"a class from keras {parts[0]} (not a layer or modelling object)"
    return ""


def scan_hdf5(ctx: Ctx, src: ByteSource, member: str | None) -> None:
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
        ctx.add(
            finding(ScanRule.GEN002, "model_config attribute could not be decoded", member=member)
        )


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


def _decode(src: ByteSource, text: str, base: int, start: int) -> tuple[object, int]:
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
