"""ONNX custom-op domains of public operator libraries (issue 11, repository scans): the ops
onnxruntime-extensions registers in ``com.microsoft.extensions`` and ``ai.onnx.contrib`` are an
identified requirement (the report's content), not ONX002; any other op name there (PyOps,
Azure invokers, OpenCV file readers) and unknown domains stay ONX002."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner import scan_path, scan_paths
from mlsvs.scanner.formats_onnx import LIBRARY_OPS

if TYPE_CHECKING:
    from pathlib import Path

_EXT = "com.microsoft.extensions"


def _graph(nodes: list[tuple[str, str]], name: str = "pre_processing") -> object:
    """A tokenizer pre-processing graph like onnxruntime-extensions' ``gen_processing_models``
    writes: string input, each (domain, op) node chained, int64 output."""
    from onnx import TensorProto, helper

    made = [
        helper.make_node(op, [f"t{i}"], [f"t{i + 1}"], domain=domain)
        for i, (domain, op) in enumerate(nodes)
    ]
    made.append(helper.make_node("Identity", [f"t{len(nodes)}"], ["ids"]))
    return helper.make_graph(
        made,
        name,
        [helper.make_tensor_value_info("t0", TensorProto.STRING, [None])],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
    )


def _model(nodes: list[tuple[str, str]]) -> bytes:
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    domains = sorted({d for d, _ in nodes})
    opsets = [helper.make_opsetid("", 17)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(_graph(nodes), opset_imports=opsets)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


@pytest.mark.parametrize(
    ("domain", "op"),
    [
        (_EXT, "SentencepieceTokenizer"),
        (_EXT, "GPT2Tokenizer"),
        (_EXT, "DecodeImage"),
        ("ai.onnx.contrib", "GPT2Tokenizer"),  # tutorials/data/gpt-2/gpt2_tok.onnx
        ("ai.onnx.contrib", "StringJoin"),
    ],
)
def test_onnxruntime_extensions_op_is_a_requirement_not_a_finding(
    tmp_path: Path, domain: str, op: str
) -> None:
    path = tmp_path / "pre_processing.onnx"
    path.write_bytes(_model([(domain, op)]))
    report = scan_path(path)
    assert report.format is ModelFormat.ONNX
    assert report.findings == (), report.findings
    assert report.content == f"needs onnxruntime-extensions ({domain}: {op})"
    (walked,) = scan_paths([tmp_path])  # the directory walk agrees
    assert walked.findings == ()


def test_requirement_is_found_in_subgraphs(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    branch = _graph([(_EXT, "BertTokenizer")], "then")
    node = helper.make_node("If", ["cond"], ["ids"], then_branch=branch, else_branch=branch)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(_EXT, 1)]
    path = tmp_path / "branch.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=opsets).SerializeToString())
    report = scan_path(path)
    assert report.findings == (), report.findings
    assert report.content == f"needs onnxruntime-extensions ({_EXT}: BertTokenizer)"


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        # an Azure invoker (sends inputs to a URL named by the model) or any unknown name
        ([(_EXT, "AzureTritonInvoker")], f"custom domain '{_EXT}' (AzureTritonInvoker"),
        ([(_EXT, "SentencepieceTokenizer"), (_EXT, "MyOwnOp")], "MyOwnOp"),
        # the legacy domain: a Python-function op (PyOp) or the OpenCV file reader
        ([("ai.onnx.contrib", "ReverseMatrix")], "custom domain 'ai.onnx.contrib' (Reverse"),
        ([("ai.onnx.contrib", "ImageReader")], "custom domain 'ai.onnx.contrib' (ImageReader"),
        # an image op exists only in the newer domain
        ([("ai.onnx.contrib", "DecodeImage")], "custom domain 'ai.onnx.contrib' (DecodeImage"),
        ([("com.acme.native", "SentencepieceTokenizer")], "custom domain 'com.acme.native'"),
    ],
)
def test_other_ops_and_domains_stay_onx002(
    tmp_path: Path, nodes: list[tuple[str, str]], expected: str
) -> None:
    path = tmp_path / "custom.onnx"
    path.write_bytes(_model(nodes))
    findings = scan_path(path).findings
    assert [f.rule.value for f in findings] == ["ONX002"], findings
    assert expected in findings[0].message


def test_library_ops_table_names_only_real_kernels() -> None:
    # the table is explicit: every entry a kernel name, no wildcard
    for library, ops in LIBRARY_OPS.values():
        assert library == "onnxruntime-extensions"
        assert ops and all(op.isidentifier() and op[0].isupper() for op in ops)


_UNRESOLVED = ("not a registered function/op", "Could not find an implementation")


def test_runtime_needs_the_library(tmp_path: Path) -> None:
    """Ground truth for the "requirement" reading: plain onnxruntime refuses the model (the op
    is not built in); with onnxruntime-extensions installed, every op of ``LIBRARY_OPS``
    resolves in its domain once the library is registered (errors left are about the test
    graph's types and missing vocabularies), and an op outside the table does not."""
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "pre_processing.onnx"
    path.write_bytes(_model([(_EXT, "GPT2Tokenizer")]))
    with pytest.raises(Exception, match=r"GPT2Tokenizer|com\.microsoft\.extensions"):
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ext = pytest.importorskip("onnxruntime_extensions")

    def resolves(domain: str, op: str) -> bool:
        options = ort.SessionOptions()
        options.register_custom_ops_library(ext.get_library_path())
        model = _model([(domain, op)])
        try:
            ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - only "no such kernel" matters here
            return not any(marker in str(exc) for marker in _UNRESOLVED)
        return True

    for domain, (_, ops) in LIBRARY_OPS.items():
        assert [op for op in sorted(ops) if not resolves(domain, op)] == [], domain
        assert not resolves(domain, "NoSuchOp")
