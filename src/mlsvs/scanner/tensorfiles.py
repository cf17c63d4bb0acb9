"""Stand-alone data files without a model beside them: ONNX TensorProto and legacy GGML
(SentencePiece tokenizer models: ``sentencepiece``).

* ONNX ``TensorProto`` files (``onnx.save_tensor``, the ``test_data_set_N/input_0.pb`` files
  of every ONNX model zoo and backend test) and the ``SequenceProto``/``OptionalProto`` that hold
  tensors. ``onnx.load_tensor`` and ``numpy_helper.to_array`` copy numbers out of them; nothing
  in a tensor is code. The whole message is parsed against the schema (field numbers and wire
  types); one that names external data (a path the reader would open) is not recognised, so it
  stays "not verified".
* Legacy GGML files (``ggml``/``ggmf``/``ggjt``/``ggla`` magic, whisper.cpp and llama.cpp
  before GGUF): C++ loaders read integers, vocabulary strings and tensors; the format has no
  field that a loader evaluates (unlike GGUF's chat template).

A file that is neither stays "not verified" (GEN001), never passed.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from mlsvs.scanner import proto

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource

_MAX_PARSE = 64 * 1024 * 1024
"""TensorProto files above this are left to "not verified" (the parse reads the whole file)."""
# TensorProto field -> wire types (repeated numeric fields: packed LEN or one value each).
_TENSOR: dict[int, frozenset[int]] = {
    1: frozenset({proto.VARINT, proto.LEN}),  # dims
    2: frozenset({proto.VARINT}),  # data_type
    3: frozenset({proto.LEN}),  # segment
    4: frozenset({proto.I32, proto.LEN}),  # float_data
    5: frozenset({proto.VARINT, proto.LEN}),  # int32_data
    6: frozenset({proto.LEN}),  # string_data
    7: frozenset({proto.VARINT, proto.LEN}),  # int64_data
    8: frozenset({proto.LEN}),  # name
    9: frozenset({proto.LEN}),  # raw_data
    10: frozenset({proto.I64, proto.LEN}),  # double_data
    11: frozenset({proto.VARINT, proto.LEN}),  # uint64_data
    12: frozenset({proto.LEN}),  # doc_string
    14: frozenset({proto.VARINT}),  # data_location (0 DEFAULT only; 1 EXTERNAL is refused)
    16: frozenset({proto.LEN}),  # metadata_props
}
_MAX_DATA_TYPE = 26
"""TensorProto.DataType values (FLOAT=1 ... FLOAT4E2M1=23, with room for newer ones)."""
_MAX_DEPTH = 8
_GGML_MAGICS = frozenset({0x67676D6C, 0x67676D66, 0x67676A74, 0x67676C61})
"""``ggml``, ``ggmf``, ``ggjt``, ``ggla`` as little-endian uint32."""


def describe_tensor_file(src: ByteSource) -> str | None:
    """What stand-alone tensor file ``src`` is, or None."""
    head = src.read_at(0, 64)
    if len(head) >= 16 and struct.unpack_from("<I", head)[0] in _GGML_MAGICS:
        return "GGML tensor file (legacy, before GGUF)" if _ggml_plausible(head) else None
    if src.size < 2 or src.size > _MAX_PARSE:
        return None
    data = src.read_at(0, src.size)
    try:
        if _tensor(data):
            return "ONNX TensorProto"
        if _container(data, 0):
            return "ONNX SequenceProto/OptionalProto of tensors"
    except proto.ProtoError:
        return None
    return None


def _ggml_plausible(head: bytes) -> bool:
    """After the magic (and a version for ggmf/ggjt), small positive hyper-parameters."""
    magic = struct.unpack_from("<I", head)[0]
    start = 4 if magic == 0x67676D6C else 8
    values = struct.unpack_from("<3i", head, start)
    return all(0 < v < 1 << 24 for v in values)


def _tensor(data: bytes | memoryview) -> bool:
    """``data`` is a TensorProto with a data type and no external data."""
    seen: set[int] = set()
    for number, wire, value in proto.fields(data):
        if wire not in _TENSOR.get(number, frozenset()):
            return False
        if number == 2 and not (isinstance(value, int) and 0 < value <= _MAX_DATA_TYPE):
            return False
        if number == 14 and value != 0:
            return False  # EXTERNAL: the reader opens a path named in the file
        if number == 3 and not (isinstance(value, memoryview) and _only_varints(value)):
            return False
        seen.add(number)
    return 2 in seen


def _only_varints(data: memoryview) -> bool:
    return all(wire == proto.VARINT for _, wire, _ in proto.fields(data))


def _container(data: bytes | memoryview, depth: int) -> bool:
    """SequenceProto (name 1, elem_type 2, tensor_values 3, sequence_values 5, optional 7) or
    OptionalProto (name 1, elem_type 2, tensor_value 3, sequence_value 5, optional 7) whose
    elements are tensors or such containers; maps and sparse tensors are not recognised."""
    if depth > _MAX_DEPTH:
        return False
    elem_type = None
    for number, wire, value in proto.fields(data):
        if number == 1 and wire == proto.LEN:
            continue
        if number == 2 and wire == proto.VARINT:
            elem_type = value
            continue
        if not isinstance(value, memoryview) or number not in (3, 5, 7):
            return False
        ok = _tensor(value) if number == 3 else _container(value, depth + 1)
        if not ok:
            return False
    return elem_type is not None
