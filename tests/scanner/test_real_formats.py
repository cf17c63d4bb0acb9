"""Files made by the real libraries at test time are recognised positively and scan clean;
ordinary repository files (text, notebooks, media) are recognised as not models."""

from __future__ import annotations

import json
import struct
import warnings
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner import identify, scan_path, scan_paths

if TYPE_CHECKING:
    from pathlib import Path


def _clean(path: Path, fmt: ModelFormat) -> None:
    report = scan_path(path)
    assert report.format is fmt, (report.format, [f.message for f in report.findings])
    assert report.findings == (), [f"{f.rule} {f.message}" for f in report.findings]
    assert report.verified


def _xy() -> tuple[object, object]:
    np = pytest.importorskip("numpy")
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4)
    return x, (x[:, 0] > 0.5).astype(int)


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_xgboost_json_and_ubjson(tmp_path: Path, suffix: str) -> None:
    xgb = pytest.importorskip("xgboost")
    x, y = _xy()
    path = tmp_path / f"model.{suffix}"
    xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y).save_model(path)
    _clean(path, ModelFormat.XGBOOST)


def test_xgboost_ubjson_truncated_is_not_verified(tmp_path: Path) -> None:
    xgb = pytest.importorskip("xgboost")
    x, y = _xy()
    path = tmp_path / "model.ubj"
    xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y).save_model(path)
    path.write_bytes(path.read_bytes()[:-40])
    report = scan_path(path)
    assert not report.verified and not report.hazards


def test_lightgbm_text_model(tmp_path: Path) -> None:
    lgb = pytest.importorskip("lightgbm")
    x, y = _xy()
    path = tmp_path / "model.txt"
    lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(x, y), 2).save_model(path)
    _clean(path, ModelFormat.LIGHTGBM)


@pytest.mark.parametrize("fmt", ["cbm", "json"])
def test_catboost(tmp_path: Path, fmt: str) -> None:
    catboost = pytest.importorskip("catboost")
    x, y = _xy()
    model = catboost.CatBoostClassifier(iterations=2, verbose=0, allow_writing_files=False)
    path = tmp_path / f"model.{fmt}"
    model.fit(x, y).save_model(str(path), format=fmt)
    _clean(path, ModelFormat.CATBOOST)


def test_skops_archive(tmp_path: Path) -> None:
    sio = pytest.importorskip("skops.io")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    x, y = _xy()
    for i, model in enumerate([LogisticRegression(), RandomForestClassifier(n_estimators=2)]):
        path = tmp_path / f"m{i}.skops"
        sio.dump(model.fit(x, y), path)
        _clean(path, ModelFormat.SKOPS)


def test_skops_schema_naming_os_system_is_critical(tmp_path: Path) -> None:
    import zipfile

    schema = {"__class__": "system", "__module__": "os", "__loader__": "FunctionNode",
              "content": {"module_path": "os", "function": "system"}, "protocol": 2}  # fmt: skip
    path = tmp_path / "evil.skops"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    [f] = scan_path(path).findings
    assert f.rule.value == "SKP001" and f.severity.value == "critical"


def test_onnx_external_data_next_to_its_model(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
        [weights],
    )
    model = helper.make_model(graph)
    path = tmp_path / "model.onnx"
    onnx.save_model(model, path, save_as_external_data=True, location="model.onnx.data",
                    size_threshold=0)  # fmt: skip
    _clean(path, ModelFormat.ONNX)
    _clean(tmp_path / "model.onnx.data", ModelFormat.TENSOR_DATA)
    # The same bytes with no model naming them stay "not verified".
    orphan = tmp_path / "orphan.bin"
    orphan.write_bytes((tmp_path / "model.onnx.data").read_bytes())
    assert not scan_path(orphan).verified


def test_onnx_constant_node_tensor_with_escaping_external_data(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    tensor = helper.make_tensor("c", TensorProto.FLOAT, [1], [0.0])
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.float_data[:]
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    node = helper.make_node("Constant", [], ["y"], value=tensor)
    graph = helper.make_graph(
        [node], "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]
    )
    path = tmp_path / "const.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    assert {f.rule.value for f in scan_path(path).findings} == {"ONX001"}


def _onnx_with_function(op_domain: str, function_domain: str, op: str = "Scale") -> bytes:
    from onnx import TensorProto, helper

    opsets = [helper.make_opsetid("", 17)]
    body = [helper.make_node("Add", ["a", "a"], ["b"])]
    function = helper.make_function(function_domain, "Scale", ["a"], ["b"], body, opsets)
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], domain=op_domain)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    imports = [*opsets, helper.make_opsetid(op_domain, 1)]
    model = helper.make_model(graph, opset_imports=imports, functions=[function])
    return bytes(model.SerializeToString())


def test_onnx_model_local_function_needs_no_native_library(tmp_path: Path) -> None:
    """Found by the layout grammar: ops defined by a model-local function (what torch's dynamo
    exporter writes, e.g. ``pkg.torch...`` domains) were reported as custom native operators
    because the function's *name* was read as its domain. onnxruntime runs this model."""
    pytest.importorskip("onnx")
    path = tmp_path / "local_fn.onnx"
    path.write_bytes(_onnx_with_function("pkg.local", "pkg.local"))
    _clean(path, ModelFormat.ONNX)
    ort = pytest.importorskip("onnxruntime")
    ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])  # loads: no custom op


@pytest.mark.parametrize(
    ("op_domain", "op"), [("com.acme.native", "Scale"), ("pkg.local", "Other")]
)
def test_onnx_op_no_local_function_defines_is_custom(
    tmp_path: Path, op_domain: str, op: str
) -> None:
    # another domain, or another op of the function's domain: a native library must supply it
    pytest.importorskip("onnx")
    path = tmp_path / "custom.onnx"
    path.write_bytes(_onnx_with_function(op_domain, "pkg.local", op))
    assert {f.rule.value for f in scan_path(path).findings} == {"ONX002"}


def test_openvino_ir_and_its_weights(tmp_path: Path) -> None:
    ov = pytest.importorskip("openvino")
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = ov.convert_model(model, example_input=torch.rand(1, 8))
    ov.save_model(converted, tmp_path / "model.xml")
    _clean(tmp_path / "model.xml", ModelFormat.OPENVINO)
    _clean(tmp_path / "model.bin", ModelFormat.TENSOR_DATA)


def test_coreml_model_and_mlpackage_weights(tmp_path: Path) -> None:
    ct = pytest.importorskip("coremltools")
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU()).eval()
    example = torch.rand(1, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example)
        inputs = [ct.TensorType(shape=example.shape)]
        nn = ct.convert(traced, inputs=inputs, convert_to="neuralnetwork")
        program = ct.convert(traced, inputs=inputs, convert_to="mlprogram")
    nn.save(str(tmp_path / "m.mlmodel"))
    program.save(str(tmp_path / "m.mlpackage"))
    _clean(tmp_path / "m.mlmodel", ModelFormat.COREML)
    data = tmp_path / "m.mlpackage" / "Data" / "com.apple.CoreML"
    _clean(data / "model.mlmodel", ModelFormat.COREML)
    _clean(data / "weights" / "weight.bin", ModelFormat.COREML)
    assert all(r.findings == () for r in scan_paths([tmp_path / "m.mlpackage"]))


def test_tflite_flatbuffer_from_the_spec(tmp_path: Path) -> None:
    """No TFLite writer is installable here; a minimal Model table built per the schema
    (root uoffset, file identifier TFL3, vtable with the version field)."""
    vtable = struct.pack("<HHH", 6, 8, 4)
    table_at = 8 + len(vtable)
    body = struct.pack("<I", table_at) + b"TFL3" + vtable
    body += struct.pack("<iI", table_at - 8, 3)  # soffset back to the vtable, version = 3
    path = tmp_path / "model.tflite"
    path.write_bytes(body)
    _clean(path, ModelFormat.TFLITE)


@pytest.mark.parametrize("sort_keys", [False, True])
def test_old_keras_h5_key_orders(tmp_path: Path, sort_keys: bool) -> None:
    h5py = pytest.importorskip("h5py")
    config = {
        "backend": "tensorflow", "keras_version": "2.2.4", "class_name": "Sequential",
        "config": {"name": "s", "layers": [{"class_name": "Dense",
                                            "config": {"units": 2, "activation": "relu"}}]},
    }  # fmt: skip
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config, sort_keys=sort_keys).encode()
        f.attrs["training_config"] = json.dumps({"loss": "mse", "optimizer_config": {
            "class_name": "Adam", "config": {"lr": 0.001}}}).encode()  # fmt: skip
        f.create_dataset("model_weights/dense/kernel", data=[[1.0, 2.0]])
    _clean(path, ModelFormat.HDF5)


def test_keras_written_h5_is_clean(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    path = tmp_path / "model.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    _clean(path, ModelFormat.HDF5)


# --- ordinary repository files -------------------------------------------------------------


def _repository(root: Path) -> list[Path]:
    readme = ("# Model card\n\n" + "Lorem ipsum dolor sit amet. " * 146)[:4094] + "🤗\n"
    assert len(readme.encode()) > 4096  # the emoji straddles the 4 KiB sniff window
    notebook = {"cells": [{"cell_type": "markdown", "source": ["模型训练与评估。" * 400]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    files = {
        "README.md": readme.encode(),
        "train.ipynb": json.dumps(notebook, ensure_ascii=False).encode(),
        "中文说明.md": ("数据集说明" * 2000).encode(),
        "logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300),
        "demo.mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + bytes(500),
        "demo.mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + bytes(500),
        "clip.webm": b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01webm" + bytes(500),
        "clip.mkv": b"\x1aE\xdf\xa3\xa3B\x86\x81\x01matroska" + bytes(500),
        "paper.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + bytes(300),
        "voice.wav": b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(500),
        "song.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(500),
        "song2.mp3": b"\xff\xfb\x90\x64" + bytes(500),
        "sound.flac": b"fLaC\x00\x00\x00\x22" + bytes(300),
        "sound.ogg": b"OggS\x00\x02" + bytes(300),
        "anim.gif": b"GIF89a" + bytes(300),
        "data.parquet": b"PAR1" + bytes(100) + b"PAR1",
    }
    paths = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_repository_of_ordinary_files_has_no_finding(tmp_path: Path) -> None:
    paths = _repository(tmp_path)
    assert scan_paths([tmp_path]) == ()  # none is worth scanning in a walk
    for path in paths:  # named explicitly, each is recognised, not "not verified"
        report = scan_path(path)
        assert report.findings == () and report.content, (path.name, report.findings)
        assert identify(path) is ModelFormat.UNKNOWN


def test_media_carrying_a_pickle_is_still_scanned(tmp_path: Path) -> None:
    from tests.scanner.scan_pk import system_call

    path = tmp_path / "cover.png"
    path.write_bytes(system_call() + b"\x89PNG\r\n\x1a\n")
    [report] = scan_paths([tmp_path])
    assert "PKL001" in {f.rule.value for f in report.findings}


def test_unidentifiable_binary_stays_not_verified(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(7, 256)) * 40)
    report = scan_path(path)
    assert not report.verified and not report.hazards
    assert [f.rule.value for f in report.gaps] == ["GEN001"]


def test_traced_torchscript_with_example_inputs_is_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, torch.rand(1, 1, 5, 5))
    path = tmp_path / "traced.pt"
    torch.jit.save(traced, str(path))
    _clean(path, ModelFormat.TORCHSCRIPT)


def test_torchscript_code_is_parsed_not_pattern_matched() -> None:
    from mlsvs.scanner.ts_code import review

    evil = (
        "def forward(self, x):\n"
        "    y = (ops\n      ).myns . bad(x)\n"
        "    z = torch . ops . aten.from_file('/etc/passwd')\n"
        "    return y  # ops.other.thing in a comment\n"
    )
    assert review(evil) == [
        "custom operator namespace ops.myns.bad (needs a native library)",
        "file operator ops.aten.from_file",
    ]
    benign = "def forward(self, x):\n    s = 'ops.evil.op eval( __import__'\n    return getattr(self, '0')(x)\n"
    assert review(benign) == []


def _pb_len(number: int, payload: bytes) -> bytes:
    out, n = bytearray(), len(payload)
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    key = bytes([(number << 3) | 2])
    return key + bytes(out) + payload


def _node(name: str, op: str, *inputs: str) -> bytes:
    body = _pb_len(1, name.encode()) + _pb_len(2, op.encode())
    return _pb_len(1, body + b"".join(_pb_len(3, i.encode()) for i in inputs))


def _function(name: str, args: list[str], nodes: list[bytes]) -> bytes:
    signature = _pb_len(1, name.encode()) + b"".join(
        _pb_len(2, _pb_len(1, a.encode())) for a in args
    )
    node_defs = b"".join(_pb_len(3, n[2:] if n[1] < 0x80 else n) for n in nodes)
    return _pb_len(1, _pb_len(1, signature) + node_defs)


def _saved_model(graph_nodes: list[bytes], functions: list[bytes]) -> bytes:
    library = _pb_len(2, b"".join(functions)) if functions else b""
    meta = _pb_len(1, _pb_len(4, b"tensorflow-2.16")) + _pb_len(2, b"".join(graph_nodes) + library)
    return b"\x08\x01" + _pb_len(2, meta)


def test_savedmodel_saver_is_judged_by_dataflow_not_names(tmp_path: Path) -> None:
    # The saver TensorFlow writes: the prefix comes from the function's argument.
    saver = _function(
        "__inference__traced_save_45",
        ["file_prefix", "savev2_w"],
        [
            _node("StringJoin", "StringJoin", "file_prefix", "Const:output:0"),
            _node("Const", "Const"),
            _node("SaveV2", "SaveV2", "StringJoin:output:0", "Const:output:0", "savev2_w"),
        ],
    )
    benign = tmp_path / "ok"
    benign.mkdir()
    (benign / "saved_model.pb").write_bytes(_saved_model([], [saver]))
    assert scan_path(benign).findings == ()
    # Same function name, but the prefix is a constant path baked into the graph.
    evil = _function(
        "__inference__traced_save_45",
        ["file_prefix"],
        [_node("Const", "Const"), _node("SaveV2", "SaveV2", "Const:output:0")],
    )
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "saved_model.pb").write_bytes(
        _saved_model([_node("save/x", "RestoreV2", "path:0"), _node("path", "Const")], [evil])
    )
    rules = {(f.rule.value, f.location.pointer) for f in scan_path(bad).findings}
    assert rules == {("TF001", "__inference__traced_save_45/SaveV2"), ("TF001", "save/x")}


def test_keras_archive_rewritten_with_lzma_members(
    tmp_path: Path, benign_files: dict[str, Path]
) -> None:
    """Python's zipfile (so keras) reads method-14 LZMA members: the scanner reads them too
    (was GEN002 "not verified"); an absurd LZMA dictionary stays unreadable, never clean."""
    import zipfile

    if "keras_v3" not in benign_files:
        pytest.skip("keras not installed")
    with zipfile.ZipFile(benign_files["keras_v3"]) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_LZMA) as z:
        for name, data in members:
            z.writestr(name, data)
    _clean(path, ModelFormat.KERAS)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"config.json") - 30  # config.json's local header (the member keras reads)
    assert raw[at : at + 4] == b"PK\x03\x04"
    start = at + 30 + int.from_bytes(raw[at + 26 : at + 28], "little")
    start += int.from_bytes(raw[at + 28 : at + 30], "little")
    raw[start + 5 : start + 9] = (1 << 31).to_bytes(4, "little")  # dictionary size: 2 GiB
    path.write_bytes(bytes(raw))
    report = scan_path(path)
    assert not report.clean and not report.verified
