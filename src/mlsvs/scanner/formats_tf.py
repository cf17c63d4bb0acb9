"""TensorFlow SavedModel (``saved_model.pb``, protobuf read by hand): risky graph operations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.scanner import proto
from mlsvs.scanner.context import ByteSource
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

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
# Dataset ops that open files named by their inputs (a graph-embedded path reads or writes it).
DATASET_FILE_OPS = frozenset(
    {"TFRecordDataset", "TFRecordDatasetV2", "FixedLengthRecordDataset",
     "FixedLengthRecordDatasetV2", "TextLineDataset", "CSVDataset", "CSVDatasetV2",
     "ExperimentalCSVDataset", "SqlDataset", "ExperimentalSqlDataset", "LMDBDataset",
     "ExperimentalLMDBDataset", "MatchingFilesDataset", "ExperimentalMatchingFilesDataset",
     "DatasetToTFRecord", "ExperimentalDatasetToTFRecord", "SaveDataset", "SaveDatasetV2",
     "LoadDataset", "ExperimentalLoadDataset", "SnapshotDataset", "SnapshotDatasetV2",
     "CacheDataset", "CacheDatasetV2"}
)  # fmt: skip


def scan_saved_model(ctx: Ctx, src: ByteSource, member: str | None) -> None:
    """Scan one ``saved_model.pb`` stream."""
    data = ctx.read_all(src, member)
    if data is None:
        return
    try:
        graphs = _graphs(data)
    except proto.ProtoError as exc:
        ctx.add(finding(ScanRule.GEN002, f"SavedModel protobuf unreadable: {exc}", member=member))
        return
    seen: set[tuple[str, str]] = set()
    for graph in graphs:
        for node in graph.nodes.values():
            where = f"{graph.scope}/{node.name}" if graph.scope else node.name
            if (where, node.op) in seen:
                continue
            seen.add((where, node.op))
            message = _problem(graph, node)
            if message:
                rule = ScanRule.TF002 if node.op in PY_OPS else ScanRule.TF001
                ctx.add(finding(rule, message, member=member, pointer=where))


def _problem(graph: _Graph, node: _Node) -> str:
    if node.op in PY_OPS or node.op in FILE_OPS or node.op in DATASET_FILE_OPS:
        return f"{node.op} op {node.name!r}"
    if node.op == "PrintV2" and node.stream.startswith("file:"):
        return f"{node.op} op {node.name!r} prints to {node.stream!r}"
    if node.op in _SAVE_OPS and not graph.path_from_caller(node):
        return f"{node.op} op {node.name!r} reads or writes a path fixed in the graph"
    return ""


@dataclass(frozen=True, slots=True)
class _Node:
    name: str
    op: str
    inputs: tuple[str, ...]
    stream: str


@dataclass(frozen=True, slots=True)
class _Graph:
    """The nodes of the main graph or of one library function."""

    scope: str
    nodes: dict[str, _Node]
    args: frozenset[str]
    """Function input arguments (values the caller supplies)."""

    def path_from_caller(self, node: _Node) -> bool:
        """The checkpoint prefix (first input) depends on a caller-supplied value.

        TensorFlow's savers build the prefix from a function argument or a placeholder (the
        directory given to ``save``/``restore``). A prefix made of constants only is a file
        path baked into the graph, whatever the nodes or functions are called.
        """
        if not node.inputs:
            return False
        stack = [node.inputs[0]]
        visited: set[str] = set()
        while stack and len(visited) < _MAX_WALK:
            ref = stack.pop()
            base = ref.lstrip("^").split(":", 1)[0]
            if base in self.args:
                return True
            if base in visited:
                continue
            visited.add(base)
            source = self.nodes.get(base)
            if source is None:
                continue
            if source.op in ("Placeholder", "PlaceholderWithDefault", "_Arg"):
                return True
            stack.extend(i for i in source.inputs if not i.startswith("^"))
        return False


_MAX_WALK = 10_000


def _graphs(data: bytes) -> list[_Graph]:
    out: list[_Graph] = []
    for meta in proto.submessages(data, 2):  # SavedModel.meta_graphs
        for graph in proto.submessages(meta, 2):  # MetaGraphDef.graph_def
            out.append(_Graph(scope="", nodes=_nodes(graph, 1), args=frozenset()))
            for library in proto.submessages(graph, 2):  # GraphDef.library
                for function in proto.submessages(library, 1):
                    name = ""
                    args: set[str] = set()
                    for signature in proto.submessages(function, 1):
                        name = proto.text(signature, 1)
                        args.update(proto.text(a, 1) for a in proto.submessages(signature, 2))
                    nodes = _nodes(function, 3)
                    out.append(_Graph(scope=name, nodes=nodes, args=frozenset(args)))
    return out


def _nodes(message: memoryview | bytes, number: int) -> dict[str, _Node]:
    out: dict[str, _Node] = {}
    for node in proto.submessages(message, number):
        stream = ""
        for entry in proto.submessages(node, 5):  # NodeDef.attr map entries
            if proto.text(entry, 1) == "output_stream":
                for value in proto.submessages(entry, 2):
                    stream = proto.text(value, 2)
        inputs = tuple(bytes(v).decode("utf-8", "replace") for v in proto.submessages(node, 3))
        name = proto.text(node, 1)
        out[name] = _Node(name=name, op=proto.text(node, 2), inputs=inputs, stream=stream)
    return out


def scan_saved_model_dir(ctx: Ctx, directory: Path) -> None:
    """A SavedModel directory: its ``saved_model.pb``."""
    pb = directory / "saved_model.pb"
    with pb.open("rb") as fh:
        scan_saved_model(ctx, ByteSource(fh, pb.stat().st_size), "saved_model.pb")
