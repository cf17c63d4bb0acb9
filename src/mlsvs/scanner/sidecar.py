"""Raw tensor files that belong to a model next to them (ONNX external data, OpenVINO .bin,
TensorFlow.js weight shards).

Such a file is bytes without a signature; on its own it would be "not verified". It is
recognised only when a model beside it (same directory, or the parent for relative sub-paths)
names it, and every byte range the model reads from it lies inside the file (TensorFlow.js: the
shards of its group hold exactly the bytes its weights take). The runtime copies those bytes
into tensors; nothing in them is interpreted as code.
"""

from __future__ import annotations

import os
import re
import stat
from typing import TYPE_CHECKING

from mlsvs.scanner.fileaccess import is_regular, open_regular

if TYPE_CHECKING:
    from pathlib import Path

_MAX_MODEL = 64 * 1024 * 1024
_MAX_SIBLINGS = 64
_OV_DATA = re.compile(rb'<data\b[^>]*?\boffset="(\d+)"[^>]*?\bsize="(\d+)"')
_OV_DATA_REV = re.compile(rb'<data\b[^>]*?\bsize="(\d+)"[^>]*?\boffset="(\d+)"')


def referenced_by(path: Path, size: int) -> str | None:
    """Name of the model that reads ``path`` as tensor data, or None."""
    return _openvino_owner(path, size) or _onnx_owner(path, size) or _tfjs_owner(path)


def _read_model(path: Path) -> bytes | None:
    if not is_regular(path):
        return None
    try:
        fh, size = open_regular(path)
    except OSError:
        return None
    with fh:
        return fh.read(size) if size <= _MAX_MODEL else None


def _openvino_owner(path: Path, size: int) -> str | None:
    from mlsvs.model.formats import ModelFormat
    from mlsvs.scanner.formats_dataonly import sniff_data_only

    xml = path.with_suffix(".xml")
    if xml == path:
        return None
    text = _read_model(xml)
    if text is None or sniff_data_only(text[:4096], len(text)) is not ModelFormat.OPENVINO:
        return None
    spans = [(int(o), int(n)) for o, n in _OV_DATA.findall(text)]
    spans += [(int(o), int(n)) for n, o in _OV_DATA_REV.findall(text)]
    if any(o + n > size for o, n in spans):
        return None
    return xml.name


def _onnx_owner(path: Path, size: int) -> str | None:
    from mlsvs.model.formats import ModelFormat
    from mlsvs.scanner import proto
    from mlsvs.scanner.formats_onnx import model_contents
    from mlsvs.scanner.identify import sniff_head

    for directory in (path.parent, path.parent.parent):
        for candidate in _siblings(directory):
            data = _read_model(candidate)
            # An external-data entry is the key "location" in the model's bytes: a model
            # without those bytes reads no file (most of a directory of ONNX test models).
            if data is None or b"location" not in data:
                continue
            if sniff_head(data[:65536], len(data)) is not ModelFormat.ONNX:
                continue
            try:
                refs, _, _ = model_contents(data)
            except proto.ProtoError:
                continue
            mine = [r for r in refs if _resolves_to(directory, r.location, path)]
            if mine and all(r.offset >= 0 and r.offset + (r.length or 0) <= size for r in mine):
                return candidate.name
    return None


def _siblings(directory: Path, suffix: str = ".onnx") -> list[Path]:
    try:
        with os.scandir(directory) as it:
            names = sorted(e.name for e in it if e.name.lower().endswith(suffix))
    except OSError:
        return []
    return [directory / n for n in names[:_MAX_SIBLINGS]]


_TFJS_BYTES = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8, "uint8": 1, "int8": 1,
               "uint16": 2, "int16": 2, "float16": 2}  # fmt: skip
"""Bytes per element of a TensorFlow.js weight (tfjs-core io/types: DTYPE_VALUE_SIZE_MAP;
quantised weights take their quantisation dtype). Strings have no fixed size: a group holding
one is not recognised."""


def _tfjs_owner(path: Path) -> str | None:
    """The ``model.json`` (any JSON beside it or in the parent) whose ``weightsManifest`` lists
    ``path`` in a group whose shards, all present, sum to the bytes of the group's weights."""
    import json

    for directory in (path.parent, path.parent.parent):
        for candidate in _siblings(directory, ".json"):
            data = _read_model(candidate)
            if data is None or b"weightsManifest" not in data or path.name.encode() not in data:
                continue
            try:
                manifest = json.loads(data).get("weightsManifest")
            except (ValueError, RecursionError, AttributeError):
                continue
            for group in manifest if isinstance(manifest, list) else ():
                if _tfjs_group_holds(directory, group, path):
                    return candidate.name
    return None


def _tfjs_group_holds(directory: Path, group: object, path: Path) -> bool:
    if not isinstance(group, dict):
        return False
    paths, weights = group.get("paths"), group.get("weights")
    if not isinstance(paths, list) or not isinstance(weights, list) or not paths:
        return False
    files = [directory / p.replace("\\", "/") for p in paths if isinstance(p, str)]
    if len(files) != len(paths) or not any(_resolves_to(directory, p, path) for p in paths):
        return False
    expected = sum(_tfjs_weight_bytes(w) for w in weights)
    sizes = [_regular_size(f) for f in files]
    # A shard missing (or not a regular file): the group cannot be checked.
    return expected >= 0 and None not in sizes and sum(s or 0 for s in sizes) == expected


def _regular_size(path: Path) -> int | None:
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _tfjs_weight_bytes(weight: object) -> int:
    """Bytes a manifest entry takes in its group's shards; a large negative number when that
    cannot be known (a string, an unknown dtype, a malformed shape), so the sum fails."""
    unknown = -(1 << 62)
    if not isinstance(weight, dict):
        return unknown
    shape = weight.get("shape")
    quantization = weight.get("quantization")
    dtype = quantization.get("dtype") if isinstance(quantization, dict) else weight.get("dtype")
    width = _TFJS_BYTES.get(dtype) if isinstance(dtype, str) else None
    if width is None or not isinstance(shape, list):
        return unknown
    count = 1
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
            return unknown
        count *= dim
    return count * width


def _resolves_to(directory: Path, location: str, path: Path) -> bool:
    try:
        return (directory / location.replace("\\", "/")).resolve() == path.resolve()
    except (OSError, ValueError):
        return False
