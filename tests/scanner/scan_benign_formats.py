"""Benign files beyond pickles: data-only model formats and ordinary repository files.

Builders write into ``directory`` and return the path; a missing optional library raises
ImportError (the caller skips that sample). Used by the benchmark's corpus; the tests in
test_real_formats.py build the same kinds of files with extra assertions.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path], Path]


def _xy() -> tuple[object, object]:
    import numpy as np

    rng = np.random.RandomState(0)
    x = rng.rand(40, 4)
    return x, (x[:, 0] > 0.5).astype(int)


def xgboost_json(d: Path) -> Path:
    import xgboost as xgb

    x, y = _xy()
    path = d / "xgb.json"
    xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y).save_model(path)
    return path


def xgboost_ubj(d: Path) -> Path:
    import xgboost as xgb

    x, y = _xy()
    path = d / "xgb.ubj"
    xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y).save_model(path)
    return path


def lightgbm_text(d: Path) -> Path:
    import lightgbm as lgb

    x, y = _xy()
    path = d / "lgb.txt"
    lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(x, y), 2).save_model(path)
    return path


def catboost_cbm(d: Path) -> Path:
    import catboost

    x, y = _xy()
    path = d / "model.cbm"
    catboost.CatBoostClassifier(iterations=2, verbose=0, allow_writing_files=False).fit(
        x, y
    ).save_model(str(path))
    return path


def skops_file(d: Path) -> Path:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    x, y = _xy()
    path = d / "model.skops"
    sio.dump(LogisticRegression().fit(x, y), path)
    return path


def onnx_external_data(d: Path) -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    sub = d / "onnx_ext"
    sub.mkdir()
    weights = numpy_helper.from_array(np.ones((64, 64), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
        [weights],
    )
    onnx.save_model(
        helper.make_model(graph), sub / "model.onnx", save_as_external_data=True,
        location="model.onnx.data", size_threshold=0,
    )  # fmt: skip
    return sub / "model.onnx.data"


def openvino_weights(d: Path) -> Path:
    import openvino as ov
    import torch

    sub = d / "openvino"
    sub.mkdir()
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ov.save_model(ov.convert_model(model, example_input=torch.rand(1, 8)), sub / "m.xml")
    return sub / "m.bin"


def readme_with_emoji(d: Path) -> Path:
    text = ("# Model card\n\n" + "Lorem ipsum dolor sit amet. " * 146)[:4094] + "🤗\n"
    path = d / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def notebook_in_chinese(d: Path) -> Path:
    nb = {"cells": [{"cell_type": "markdown", "source": ["模型训练与评估。" * 400]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path = d / "train.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def _media(name: str, head: bytes) -> Builder:
    def build(d: Path) -> Path:
        path = d / name
        path.write_bytes(head + bytes(range(256)) * 8)
        return path

    return build


BENIGN_FORMATS: dict[str, Builder] = {
    "xgboost_json": xgboost_json,
    "xgboost_ubj": xgboost_ubj,
    "lightgbm_text": lightgbm_text,
    "catboost_cbm": catboost_cbm,
    "skops_file": skops_file,
    "onnx_external_data": onnx_external_data,
    "openvino_weights": openvino_weights,
    "readme_with_emoji": readme_with_emoji,
    "notebook_in_chinese": notebook_in_chinese,
    "png_image": _media("logo.png", b"\x89PNG\r\n\x1a\n"),
    "mp4_video": _media("demo.mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41"),
    "webm_video": _media("clip.webm", b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01webm"),
    "pdf_document": _media("paper.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    "wav_audio": _media("voice.wav", b"RIFF\x24\x08\x00\x00WAVEfmt "),
}
