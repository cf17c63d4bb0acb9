"""Raw tensor files that belong to a model next to them (ONNX external data, OpenVINO .bin).

Such a file is bytes without a signature; on its own it would be "not verified". It is
recognised only when a model beside it (same directory, or the parent for ONNX's relative
sub-paths) names it, and every byte range the model reads from it lies inside the file. The
runtime copies those bytes into tensors; nothing in them is interpreted as code.
"""

from __future__ import annotations

import os
import re
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
    return _openvino_owner(path, size) or _onnx_owner(path, size)


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


def _siblings(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as it:
            names = sorted(e.name for e in it if e.name.lower().endswith(".onnx"))
    except OSError:
        return []
    return [directory / n for n in names[:_MAX_SIBLINGS]]


def _resolves_to(directory: Path, location: str, path: Path) -> bool:
    try:
        return (directory / location.replace("\\", "/")).resolve() == path.resolve()
    except (OSError, ValueError):
        return False
