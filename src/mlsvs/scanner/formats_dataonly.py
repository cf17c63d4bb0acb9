"""Data-only model formats: recognised positively and parsed far enough to know they hold no code.

XGBoost (JSON, UBJSON), LightGBM text, CatBoost ``CBM1``, TensorFlow Lite, Core ML (model
protobuf and ML-program weight blobs) and OpenVINO IR topologies are read by loaders that build
trees, graphs or tensors from them; none of those loaders imports or evaluates anything named
in the file. A file that announces one of these formats but does not parse as it is reported
as not verified (GEN002), never passed.
"""

from __future__ import annotations

import json
import re
import struct
from typing import TYPE_CHECKING

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner import proto
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource, Ctx

# XGBoost writes {"learner": ..., "version": [major, minor, patch]}; a JSON object whose first
# key is "version" is an XGBoost model only with that array (CorelDRAW styles, editor settings
# and manifests start with {"version": 2200, ...}).
_XGB_JSON = re.compile(rb'^\s*\{\s*"(?:learner"\s*:|version"\s*:\s*\[\s*\d+\s*,)')
_CATBOOST_JSON = re.compile(
    rb'^\s*\{\s*"(?:features_info|model_info|oblivious_trees|scale_and_bias)"\s*:'
)
_XGB_UBJ = re.compile(rb"^\{(?:L\x00{7}\x07|l\x00{3}\x07|I\x00\x07|i\x07|U\x07)(?:learner|version)")
_OPENVINO = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<net\s[^>]*\bversion\s*=",
    re.DOTALL,
)
_FULL_PARSE = 64 * 1024 * 1024
_COREML_SPEC_MAX = 16
_MIL_SENTINEL = 0xDEADBEEF


def sniff_data_only(head: bytes, size: int) -> ModelFormat | None:
    """The data-only format these first bytes announce, if any."""
    # Core ML's Model opens with specificationVersion (field 1, varint).
    return data_only_format(head, size, proto.prefix_fields(head, size, first=(1, proto.VARINT)))


def data_only_format(
    head: bytes, size: int, fields: list[tuple[int, int, int]] | None
) -> ModelFormat | None:
    """``sniff_data_only`` for a caller that already has the head's ``proto.prefix_fields``."""
    if _XGB_JSON.match(head) or _XGB_UBJ.match(head):
        return ModelFormat.XGBOOST
    if head.startswith((b"tree\nversion=v", b"tree\r\nversion=v")):
        return ModelFormat.LIGHTGBM
    if (head.startswith(b"CBM1") and size >= 8) or _CATBOOST_JSON.match(head):
        return ModelFormat.CATBOOST
    if len(head) >= 8 and head[4:8] == b"TFL3":
        return ModelFormat.TFLITE
    if _is_mil_blob(head):
        return ModelFormat.COREML
    if _OPENVINO.match(head[:4096]):
        return ModelFormat.OPENVINO
    if fields and _is_coreml(fields):
        return ModelFormat.COREML
    return None


def _is_coreml(fields: list[tuple[int, int, int]]) -> bool:
    """Core ML ``Model``: specificationVersion, description, isUpdatable, then one model type."""
    first = fields[0]
    if first[:2] != (1, proto.VARINT) or not 1 <= first[2] <= _COREML_SPEC_MAX:
        return False
    numbers = {num for num, _, _ in fields}
    return any(n >= 200 for n in numbers) and all(n in (1, 2, 10) or n >= 200 for n in numbers)


def _is_mil_blob(head: bytes) -> bool:
    """Core ML ML-program ``weight.bin``: count, version 2, reserved, then a sentinel."""
    if len(head) < 72:
        return False
    count, version = struct.unpack_from("<II", head)
    sentinel = struct.unpack_from("<I", head, 64)[0]
    return version == 2 and count > 0 and sentinel == _MIL_SENTINEL and not any(head[8:64])


def scan_data_only(ctx: Ctx, src: ByteSource, fmt: ModelFormat, member: str | None) -> None:
    """Parse the file as ``fmt``; what does not parse is not verified (GEN002)."""
    try:
        problem = _CHECKS[fmt](ctx, src)
    except (ValueError, struct.error, UnicodeDecodeError, RecursionError, proto.ProtoError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        ctx.add(
            finding(
                ScanRule.GEN002,
                f"announces {fmt.value} but does not parse as it ({problem}); not verified",
                member=member,
            )
        )


def _xgboost(ctx: Ctx, src: ByteSource) -> str:
    head = src.read_at(0, 16)
    if head.lstrip()[:1] == b"{" and head[1:2] not in (b"L", b"l", b"I", b"i", b"U"):
        return _xgboost_json(ctx, src)
    if src.size > _FULL_PARSE:
        return ""  # recognised by its header; UBJSON holds no code whatever its length
    data = src.read_at(0, src.size)
    ctx.total_bytes += len(data)
    root = ubjson_keys(data)
    return "" if "learner" in root else "no learner object"


def _json_object(ctx: Ctx, src: ByteSource) -> str:
    if src.size > _FULL_PARSE:
        tail = src.read_at(max(0, src.size - 256), 256).rstrip()
        return "" if tail.endswith(b"}") else "JSON object not closed"
    data = src.read_at(0, src.size)
    ctx.total_bytes += len(data)
    return "" if isinstance(json.loads(data), dict) else "not a JSON object"


def _xgboost_json(ctx: Ctx, src: ByteSource) -> str:
    if src.size > _FULL_PARSE:
        tail = src.read_at(max(0, src.size - 256), 256).rstrip()
        return "" if tail.endswith(b"}") else "JSON object not closed"
    data = src.read_at(0, src.size)
    ctx.total_bytes += len(data)
    doc = json.loads(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("learner"), dict):
        return "no learner object"
    return ""


def _lightgbm(ctx: Ctx, src: ByteSource) -> str:
    """A LightGBM model string: key=value header, Tree= blocks, 'end of trees'."""
    offset = 0
    seen_end = False
    chunk = 1 << 20
    while offset < src.size:
        block = src.read_at(max(0, offset - 16), chunk + 16)
        if b"\x00" in block:
            return "NUL byte in a text model"
        seen_end = seen_end or b"end of trees" in block
        offset += chunk
    return "" if seen_end else "no 'end of trees' marker"


def _catboost(ctx: Ctx, src: ByteSource) -> str:
    head = src.read_at(0, 8)
    if not head.startswith(b"CBM1"):
        return _json_object(ctx, src)
    core = struct.unpack_from("<I", head, 4)[0]
    if 8 + core > src.size:
        return f"model core of {core} bytes runs past the end of the file"
    return ""


def _tflite(ctx: Ctx, src: ByteSource) -> str:
    head = src.read_at(0, 8)
    root = struct.unpack_from("<I", head)[0]
    if not 8 <= root < src.size - 4:
        return f"root table offset {root} outside the file"
    vtable = root - struct.unpack("<i", src.read_at(root, 4))[0]
    if not 0 <= vtable < src.size - 4:
        return "root vtable outside the file"
    return ""


def _coreml(ctx: Ctx, src: ByteSource) -> str:
    if _is_mil_blob(src.read_at(0, 128)):
        return _mil_blob(src)
    if src.size > _FULL_PARSE:
        return ""
    data = src.read_at(0, src.size)
    ctx.total_bytes += len(data)
    for _ in proto.fields(data):
        pass
    return ""


def _mil_blob(src: ByteSource) -> str:
    """Walk the blob records: each metadata block points at data inside the file."""
    count = struct.unpack("<I", src.read_at(0, 4))[0]
    cursor = 64
    for index in range(count):
        meta = src.read_at(cursor, 64)
        if len(meta) < 24 or struct.unpack_from("<I", meta)[0] != _MIL_SENTINEL:
            return f"blob {index}: no metadata sentinel at {cursor}"
        length, data_offset = struct.unpack_from("<QQ", meta, 8)
        if data_offset < cursor + 64 or data_offset + length > src.size:
            return f"blob {index}: data outside the file"
        cursor = -(-(data_offset + length) // 64) * 64
    return ""


def _openvino(ctx: Ctx, src: ByteSource) -> str:
    if src.size > _FULL_PARSE:
        return ""
    src.read_at(0, src.size).decode("utf-8")
    return ""


_CHECKS = {
    ModelFormat.XGBOOST: _xgboost,
    ModelFormat.LIGHTGBM: _lightgbm,
    ModelFormat.CATBOOST: _catboost,
    ModelFormat.TFLITE: _tflite,
    ModelFormat.COREML: _coreml,
    ModelFormat.OPENVINO: _openvino,
}

DATA_ONLY = frozenset(_CHECKS)


# --- UBJSON (the subset XGBoost writes, plus every scalar marker) -------------------------

_UBJ_SCALAR = {b"i": 1, b"U": 1, b"I": 2, b"l": 4, b"L": 8, b"d": 4, b"D": 8, b"C": 1}
_UBJ_EMPTY = frozenset((b"Z", b"N", b"T", b"F"))
_UBJ_MAX_DEPTH = 128


def ubjson_keys(data: bytes) -> set[str]:
    """Validate a whole UBJSON document (iteratively) and return its root object's keys."""
    pos, keys = _ubj_value(data, 0, 0, root=True)
    if data[pos:].strip(b"\x00"):
        raise ValueError(f"trailing data at {pos}")
    return keys


def _ubj_int(data: bytes, pos: int) -> tuple[int, int]:
    marker = data[pos : pos + 1]
    width = {b"i": 1, b"U": 1, b"I": 2, b"l": 4, b"L": 8}.get(marker)
    if width is None:
        raise ValueError(f"bad length marker {marker!r} at {pos}")
    raw = data[pos + 1 : pos + 1 + width]
    if len(raw) != width:
        raise ValueError("truncated length")
    value = int.from_bytes(raw, "big", signed=marker != b"U")
    if value < 0:
        raise ValueError("negative length")
    return value, pos + 1 + width


def _ubj_value(data: bytes, pos: int, depth: int, *, root: bool = False) -> tuple[int, set[str]]:
    if depth > _UBJ_MAX_DEPTH:
        raise ValueError("nested too deeply")
    marker = data[pos : pos + 1]
    if not marker:
        raise ValueError("truncated document")
    if marker in _UBJ_EMPTY:
        return pos + 1, set()
    if marker in _UBJ_SCALAR:
        return pos + 1 + _UBJ_SCALAR[marker], set()
    if marker in (b"S", b"H"):
        n, pos = _ubj_int(data, pos + 1)
        if pos + n > len(data):
            raise ValueError("string runs past the end")
        return pos + n, set()
    if marker in (b"[", b"{"):
        return _ubj_container(data, pos + 1, depth, marker == b"{", root=root)
    raise ValueError(f"unknown marker {marker!r} at {pos}")


def _ubj_container(
    data: bytes, pos: int, depth: int, is_object: bool, *, root: bool
) -> tuple[int, set[str]]:
    keys: set[str] = set()
    item_type = b""
    count = -1
    if data[pos : pos + 1] == b"$":
        item_type = data[pos + 1 : pos + 2]
        pos += 2
    if data[pos : pos + 1] == b"#":
        count, pos = _ubj_int(data, pos + 1)
    elif item_type:
        raise ValueError("typed container without a count")
    if item_type in _UBJ_SCALAR and not is_object:
        end = pos + count * _UBJ_SCALAR[item_type]
        if end > len(data):
            raise ValueError("typed array runs past the end")
        return end, keys
    index = 0
    while count < 0 or index < count:
        if count < 0 and data[pos : pos + 1] == (b"}" if is_object else b"]"):
            return pos + 1, keys
        if is_object:
            n, pos = _ubj_int(data, pos)
            if root:
                keys.add(data[pos : pos + n].decode("utf-8", "replace"))
            pos += n
        if item_type:
            pos, _ = _implied(data, pos, item_type, depth)
        else:
            pos, _ = _ubj_value(data, pos, depth + 1)
        index += 1
        if pos > len(data):
            raise ValueError("container runs past the end")
    return pos, keys


def _implied(data: bytes, pos: int, item_type: bytes, depth: int) -> tuple[int, set[str]]:
    if item_type in _UBJ_EMPTY:
        return pos, set()
    if item_type in _UBJ_SCALAR:
        return pos + _UBJ_SCALAR[item_type], set()
    if item_type in (b"S", b"H"):
        n, pos = _ubj_int(data, pos)
        return pos + n, set()
    if item_type in (b"[", b"{"):
        return _ubj_container(data, pos, depth + 1, item_type == b"{", root=False)
    raise ValueError(f"unknown container type {item_type!r}")
