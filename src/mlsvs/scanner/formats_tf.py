"""TensorFlow SavedModel (``saved_model.pb``, protobuf read by hand): risky graph operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.scanner import proto
from mlsvs.scanner.context import Source
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import Rule

if TYPE_CHECKING:
    from pathlib import Path

    from mlsvs.scanner.context import Ctx

FILE_OPS = frozenset(
    {"ReadFile", "WriteFile", "MatchingFiles", "WholeFileReader", "WholeFileReaderV2",
     "TextLineReader", "TextLineReaderV2", "FixedLengthRecordReader",
     "FixedLengthRecordReaderV2", "TFRecordReader", "TFRecordReaderV2", "LMDBReader",
     "DeleteFile", "CopyFile", "RenameFile", "CreateDir", "RecursivelyCreateDir",
     "DeleteRecursively", "WriteAudioSummary", "WriteImageSummary", "CreateSummaryFileWriter",
     "ImmutableConst", "LoadAndRemapMatrix", "DebugIdentityV2"}
)  # fmt: skip
PY_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
_SAVE_OPS = frozenset(
    {"Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice",
     "MergeV2Checkpoints"}
)  # fmt: skip
_SAVER_PREFIXES = ("save/", "saver/", "__inference__traced_save", "__inference__traced_restore")


def scan_saved_model(ctx: Ctx, src: Source, member: str | None) -> None:
    """Scan one ``saved_model.pb`` stream."""
    data = ctx.read_all(src, member)
    if data is None:
        return
    try:
        ops = list(_ops(data))
    except proto.ProtoError as exc:
        ctx.add(finding(Rule.GEN002, f"SavedModel protobuf unreadable: {exc}", member=member))
        return
    for scope, node, op, output in sorted(set(ops)):
        where = f"{scope}/{node}" if scope else node
        if op in PY_OPS:
            ctx.add(finding(Rule.TF002, f"{op} op {node!r}", member=member, pointer=where))
        elif op in FILE_OPS or (op == "PrintV2" and output.startswith("file:")):
            ctx.add(finding(Rule.TF001, f"{op} op {node!r}", member=member, pointer=where))
        elif op in _SAVE_OPS and not _is_saver(scope, node):
            ctx.add(
                finding(
                    Rule.TF001, f"{op} op {node!r} outside the saver", member=member, pointer=where
                )
            )


def scan_saved_model_dir(ctx: Ctx, directory: Path) -> None:
    """A SavedModel directory: its ``saved_model.pb``."""
    pb = directory / "saved_model.pb"
    with pb.open("rb") as fh:
        scan_saved_model(ctx, Source(fh, pb.stat().st_size), "saved_model.pb")


def _is_saver(scope: str, node: str) -> bool:
    return scope.startswith(_SAVER_PREFIXES) or node.startswith(_SAVER_PREFIXES)


def _ops(data: bytes) -> list[tuple[str, str, str, str]]:
    """(function scope, node name, op, PrintV2 output_stream) of every node."""
    out: list[tuple[str, str, str, str]] = []
    for meta in proto.submessages(data, 2):  # SavedModel.meta_graphs
        for graph in proto.submessages(meta, 2):  # MetaGraphDef.graph_def
            out.extend(_nodes(graph, 1, ""))
            for library in proto.submessages(graph, 2):  # GraphDef.library
                for function in proto.submessages(library, 1):
                    name = ""
                    for signature in proto.submessages(function, 1):
                        name = proto.text(signature, 1)
                    out.extend(_nodes(function, 3, name))
    return out


def _nodes(message: memoryview | bytes, number: int, scope: str) -> list[tuple[str, str, str, str]]:
    out = []
    for node in proto.submessages(message, number):
        stream = ""
        for entry in proto.submessages(node, 5):  # NodeDef.attr map entries
            if proto.text(entry, 1) == "output_stream":
                for value in proto.submessages(entry, 2):
                    stream = proto.text(value, 2)
        out.append((scope, proto.text(node, 1), proto.text(node, 2), stream))
    return out
