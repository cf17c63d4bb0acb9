"""ONNX models (protobuf read by hand): external data locations and custom operator domains."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, NamedTuple

from mlsvs.scanner import proto
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.scanner.context import ByteSource, Ctx

STANDARD_DOMAINS = frozenset(
    {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
     "ai.onnx.preview", "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental",
     "org.pytorch.aten", "com.ms.internal.nhwc"}
)  # fmt: skip
_MAX_DEPTH = 32

_ORTX_SHARED = frozenset(
    {"GPT2Tokenizer", "CLIPTokenizer", "RobertaTokenizer", "BpeDecoder", "SpmTokenizer",
     "HfJsonTokenizer", "SentencepieceTokenizer", "SentencepieceDecoder", "TrieTokenizer",
     "TrieDetokenizer", "WordpieceTokenizer", "BasicTokenizer", "BertTokenizer",
     "BertTokenizerDecoder", "HfBertTokenizer", "BlingFireSentenceBreaker"}
)  # fmt: skip
"""onnxruntime-extensions' tokenizer kernels, registered in both of its domains."""

LIBRARY_OPS: dict[str, tuple[str, frozenset[str]]] = {
    "com.microsoft.extensions": (
        "onnxruntime-extensions",
        _ORTX_SHARED | {"DecodeImage", "EncodeImage", "DrawBoundingBoxes"},
    ),
    "ai.onnx.contrib": (
        "onnxruntime-extensions",
        _ORTX_SHARED
        | {"AudioDecoder", "Inverse", "MaskedFill", "MergeSignalSegments", "NegPos",
           "RaggedTensorToDense", "RaggedTensorToSparse", "SegmentExtraction", "SegmentSum",
           "SplitSignalSegments", "StftNorm", "StringConcat", "StringECMARegexReplace",
           "StringECMARegexSplitWithOffsets", "StringEqual", "StringJoin", "StringLength",
           "StringLower", "StringMapping", "StringRaggedTensorToDense", "StringRegexReplace",
           "StringRegexSplitWithOffsets", "StringSplit", "StringStrip", "StringToHashBucket",
           "StringToHashBucketFast", "StringToVector", "StringUpper", "VectorToString"},
    ),
}  # fmt: skip
"""Custom-op domains of public operator libraries, with the ops each registers there.

A custom domain is a finding (ONX002) because the model cannot run until the user registers a
native library that implements it, and the model cannot say which. onnxruntime-extensions
(``pip install onnxruntime-extensions``, Microsoft) registers its pre/post-processing kernels in
``ai.onnx.contrib`` (text, audio, math and tokenizer ops) and ``com.microsoft.extensions``
(tokenizer and image ops) when the user calls
``SessionOptions.register_custom_ops_library(get_library_path())``: code from the published
wheel, not anything shipped with the model. Those ops (names from the op loaders of
``shared/lib/ops_registry.cc`` and ``operators/*``, releases 0.9-0.14 and main; every one
resolves in the 0.15.2 wheel, ``tests/scanner/test_onnx_op_libraries.py``) are an identified
requirement, reported as the model's content, not a finding. Still ONX002: any other op name in
these domains. That covers Python-function ops (PyOp: ``ai.onnx.contrib`` ops a program defines
itself; the model names one, the loading program must supply it), the ``Azure*`` and
``OpenAIAudioToText`` invokers of 0.12-0.14 builds with Azure enabled (they post inputs to a URL
taken from the model; the PyPI wheel does not register them), the OpenCV ops (``ImageReader``
reads a file path; off in the wheel) and other libraries' ops in the same domains."""


class ExternalRef(NamedTuple):
    """One tensor whose bytes live in another file."""

    tensor: str
    location: str
    offset: int
    length: int | None
    pointer: str


def scan_onnx(ctx: Ctx, src: ByteSource, member: str | None) -> None:
    """Report external data escaping the model directory and non-standard op domains."""
    data = ctx.read_all(src, member)
    if data is None:
        return
    try:
        refs, ops, _ = model_contents(data)
    except proto.ProtoError as exc:
        ctx.add(finding(ScanRule.GEN002, f"ONNX protobuf unreadable: {exc}", member=member))
        return
    seen: set[tuple[str, str]] = set()
    for ref in refs:
        if (ref.pointer, ref.location) in seen:
            continue
        seen.add((ref.pointer, ref.location))
        if escapes(ref.location) or (member is None and _links_out(ctx.base_dir, ref.location)):
            ctx.add(
                finding(
                    ScanRule.ONX001,
                    f"tensor {ref.tensor!r} reads external data from {ref.location!r}",
                    member=member,
                    pointer=ref.pointer,
                )
            )
    requirements: dict[str, set[str]] = {}
    custom: dict[str, set[str]] = {}
    for domain, op in ops:
        if domain in STANDARD_DOMAINS:
            continue
        library = LIBRARY_OPS.get(domain)
        known = library is not None and op in library[1]
        (requirements if known else custom).setdefault(domain, set()).add(op)
    for domain in sorted(custom):
        extra = ""
        if domain in LIBRARY_OPS:
            names = ", ".join(sorted(custom[domain])[:8])
            extra = f" ({names}: not an op {LIBRARY_OPS[domain][0]} registers there)"
        ctx.add(
            finding(
                ScanRule.ONX002, f"operators from custom domain {domain!r}{extra}", member=member
            )
        )
    if requirements and member is None:
        ctx.content = "needs " + "; ".join(
            f"{LIBRARY_OPS[d][0]} ({d}: {', '.join(sorted(requirements[d])[:8])})"
            for d in sorted(requirements)
        )


_NONE: list[memoryview] = []


def model_contents(
    data: bytes | memoryview,
) -> tuple[list[ExternalRef], set[tuple[str, str]], set[str]]:
    """External tensors, operators and locally defined function domains of a model.

    The operators are the ``(domain, op_type)`` of nodes no model-local function defines (a
    local function is expanded by the runtime; it needs no native library).

    Tensors are found wherever ONNX allows them: initializers, sparse initializers (values and
    indices), node attributes (``t``, ``tensors``, ``sparse_tensor(s)``), subgraphs, functions
    and training-info graphs.
    """
    refs: list[ExternalRef] = []
    ops: set[tuple[str, str]] = set()
    model = proto.len_fields(data)
    for graph in model.get(7, _NONE):
        _walk_graph(graph, refs, ops, 0, "/graph")
    for i, info in enumerate(model.get(20, _NONE)):  # training_info
        found = proto.len_fields(info)
        for number in (1, 2):
            for graph in found.get(number, _NONE):
                _walk_graph(graph, refs, ops, 1, f"/training_info/{i}")
    defined: set[tuple[str, str]] = set()
    for function in model.get(25, _NONE):  # FunctionProto: name 1, node 7, domain 10
        found = proto.len_fields(function)
        name = proto.last_text(found, 1)
        defined.add((proto.last_text(found, 10), name))
        for node in found.get(7, _NONE):
            _node(node, refs, ops, 1, f"/functions/{name}")
    return refs, ops - defined, {domain for domain, _ in defined}


def escapes(location: str) -> bool:
    """Absolute, drive-qualified, home-relative or parent-escaping locations."""
    loc = location.replace("\\", "/")
    if not loc or loc.startswith(("/", "~")) or (len(loc) > 1 and loc[1] == ":"):
        return True
    return posixpath.normpath(loc).split("/")[0] == ".."


def _links_out(base: Path, location: str) -> bool:
    """A relative location that resolves outside the model directory through a symlink."""
    target = base / location
    try:
        return target.exists() and not target.resolve().is_relative_to(base.resolve())
    except (OSError, ValueError):
        return True


def _walk_graph(
    graph: memoryview, refs: list[ExternalRef], ops: set[tuple[str, str]], depth: int, where: str
) -> None:
    if depth > _MAX_DEPTH:
        raise proto.ProtoError("subgraphs nested too deeply")
    found = proto.len_fields(graph)
    for node in found.get(1, _NONE):
        _node(node, refs, ops, depth, where)
    for tensor in found.get(5, _NONE):  # initializer
        refs.extend(_external(tensor, f"{where}/initializer"))
    for sparse in found.get(15, _NONE):  # sparse_initializer
        refs.extend(_sparse(sparse, f"{where}/sparse_initializer"))


def _node(
    node: memoryview, refs: list[ExternalRef], ops: set[tuple[str, str]], depth: int, where: str
) -> None:
    found = proto.len_fields(node)
    ops.add((proto.last_text(found, 7), proto.last_text(found, 4)))  # domain, op_type
    attributes = found.get(5)
    if not attributes:
        return
    name = proto.last_text(found, 3)
    for attr in attributes:
        fields = proto.len_fields(attr)
        at = f"{where}/node/{name}/attribute/{proto.last_text(fields, 1)}"
        for number in (5, 10):  # t, tensors
            for tensor in fields.get(number, _NONE):
                refs.extend(_external(tensor, at))
        for number in (22, 23):  # sparse_tensor, sparse_tensors
            for sparse in fields.get(number, _NONE):
                refs.extend(_sparse(sparse, at))
        for number in (6, 11):  # g, graphs
            for sub in fields.get(number, _NONE):
                _walk_graph(sub, refs, ops, depth + 1, at)


def _sparse(sparse: memoryview, where: str) -> list[ExternalRef]:
    out: list[ExternalRef] = []
    found = proto.len_fields(sparse)
    for number in (1, 2):  # values, indices
        for tensor in found.get(number, _NONE):
            out.extend(_external(tensor, where))
    return out


def _external(tensor: memoryview, where: str) -> list[ExternalRef]:
    found = proto.len_fields(tensor)
    entries: dict[str, str] = {}
    for entry in found.get(13, _NONE):
        pair = proto.len_fields(entry)
        entries[proto.last_text(pair, 1)] = proto.last_text(pair, 2)
    if "location" not in entries:
        return []
    name = proto.last_text(found, 8)
    return [
        ExternalRef(
            tensor=name,
            location=entries["location"],
            offset=_int(entries.get("offset")) or 0,
            length=_int(entries.get("length")),
            pointer=f"{where}/{name}",
        )
    ]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
