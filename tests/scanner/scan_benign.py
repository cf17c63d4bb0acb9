"""Benign model files made with the real libraries (tiny), for false-positive tests.

Each builder writes one file into ``directory`` and returns its path. Libraries are imported
inside the builders so that a missing optional library only skips its own sample.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path], Path]


def torch_state_dict(d: Path) -> Path:
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    path = d / "state_dict.pt"
    torch.save(model.state_dict(), path)
    return path


def torch_whole_module(d: Path) -> Path:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 2)
    )
    path = d / "module.pth"
    torch.save(model, path)
    return path


def torch_legacy(d: Path) -> Path:
    import torch

    sd = {"w": torch.zeros(3, 2), "n": torch.arange(5), "h": torch.ones(2, dtype=torch.float16)}
    path = d / "legacy.bin"
    torch.save(sd, path, _use_new_zipfile_serialization=False)
    return path


def torch_legacy_module(d: Path) -> Path:
    import torch

    path = d / "legacy_module.ckpt"
    torch.save(
        {"model": torch.nn.Linear(2, 2), "epoch": 3, "opt": {"lr": 0.1}},
        path,
        _use_new_zipfile_serialization=False,
    )
    return path


def torchscript(d: Path) -> Path:
    import torch

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.fc(x)) * 2

    path = d / "scripted.pt"
    torch.jit.save(torch.jit.script(Net()), str(path))
    return path


def torch_checkpoint_optim(d: Path) -> Path:
    import torch

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    path = d / "checkpoint.tar"
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "step": 1}, path)
    return path


def _sk_data() -> tuple[object, object]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return x, y


def sklearn_pickle(d: Path) -> Path:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _sk_data()
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3, random_state=0))
    model.fit(x, y)
    path = d / "sk_pipeline.pkl"
    path.write_bytes(pickle.dumps(model, protocol=5))
    return path


def sklearn_joblib(d: Path) -> Path:
    import joblib
    from sklearn.linear_model import LogisticRegression

    x, y = _sk_data()
    path = d / "sk_logreg.joblib"
    joblib.dump(LogisticRegression().fit(x, y), path)
    return path


def sklearn_joblib_compressed(d: Path) -> Path:
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    x, y = _sk_data()
    path = d / "sk_tree.joblib.z"
    joblib.dump(DecisionTreeClassifier(max_depth=3).fit(x, y), path, compress=("zlib", 3))
    return path


def sklearn_joblib_lzma(d: Path) -> Path:
    import joblib
    from sklearn.svm import SVC

    x, y = _sk_data()
    path = d / "sk_svc.joblib.xz"
    joblib.dump(SVC(probability=False).fit(x, y), path, compress=("xz", 3))
    return path


def sklearn_text_and_density(d: Path) -> Path:
    """Estimators fitted on input other than a numeric matrix (documents), unsupervised
    density/outlier models and a selector holding a score function: ordinary files whose
    globals the allowlist once missed because its sample builder only fitted numeric input."""
    import joblib
    from sklearn.ensemble import IsolationForest
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import make_pipeline

    docs = [f"the {w} sat on mat {i % 5}" for i, w in enumerate(["cat", "dog"] * 10)]
    labels = [i % 2 for i in range(20)]
    x, y = _sk_data()
    bundle = {
        "text": make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression()).fit(
            docs, labels
        ),
        "outliers": IsolationForest(n_estimators=5, random_state=0).fit(x),
        "density": GaussianMixture(n_components=2, random_state=0).fit(x),
        "select": SelectKBest(f_classif, k=2).fit(x, y),
    }
    path = d / "sk_text_density.joblib"
    joblib.dump(bundle, path)
    return path


def sklearn_meta_estimators(d: Path) -> Path:
    """Meta-estimators as users save them: a fitted search with a scorer and a splitter, an
    ensemble of named estimators, a multi-output wrapper and a target transform by ufuncs."""
    import joblib
    import numpy as np
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.tree import DecisionTreeClassifier

    x, y = _sk_data()
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, scoring="f1", cv=StratifiedKFold(2)
    )
    vote = VotingClassifier([("lin", LogisticRegression()), ("tree", DecisionTreeClassifier())])
    bundle = {
        "search": search.fit(x, y),
        "vote": vote.fit(x, y),
        "multi": MultiOutputRegressor(Ridge()).fit(x, x[:, :2]),
        "target": TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1).fit(
            x, np.abs(x[:, 0])
        ),
    }
    path = d / "sk_meta.joblib"
    joblib.dump(bundle, path)
    return path


def pandas_pickle(d: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame(
        {"a": [1, 2, 3], "b": ["x", "y", "z"], "t": pd.date_range("2024-01-01", periods=3)}
    )
    frame["c"] = frame["b"].astype("category")
    path = d / "frame.pkl"
    frame.to_pickle(path)
    return path


def xgboost_pickle(d: Path) -> Path:
    import xgboost

    x, y = _sk_data()
    model = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(x, y)
    path = d / "xgb.pkl"
    path.write_bytes(pickle.dumps(model))
    return path


def lightgbm_pickle(d: Path) -> Path:
    import lightgbm

    x, y = _sk_data()
    model = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y)
    path = d / "lgbm.pkl"
    path.write_bytes(pickle.dumps(model))
    return path


def numpy_npy(d: Path) -> Path:
    import numpy as np

    path = d / "weights.npy"
    np.save(path, np.arange(12, dtype=np.float32).reshape(3, 4))
    return path


def numpy_npz(d: Path) -> Path:
    import numpy as np

    path = d / "arrays.npz"
    np.savez_compressed(path, a=np.ones(3), b=np.zeros((2, 2), dtype=np.int64))
    return path


def _keras_model() -> object:
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    inp = keras.Input(shape=(6,))
    x = keras.layers.Embedding(20, 4)(inp)
    x = keras.layers.LSTM(4, return_sequences=True)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dropout(0.2)(keras.layers.BatchNormalization()(x))
    out = keras.layers.Dense(
        3, activation="softmax", kernel_regularizer=keras.regularizers.L2(0.01)
    )(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def keras_v3(d: Path) -> Path:
    model = _keras_model()
    path = d / "model.keras"
    model.save(path)  # type: ignore[attr-defined]
    return path


def keras_h5(d: Path) -> Path:
    model = _keras_model()
    path = d / "model.h5"
    model.save(path)  # type: ignore[attr-defined]
    return path


def onnx_skl2onnx(d: Path) -> Path:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x, y = _sk_data()
    model = LogisticRegression().fit(x, y)
    onx = to_onnx(model, x[:1].astype("float32"))  # type: ignore[index]
    path = d / "logreg.onnx"
    path.write_bytes(onx.SerializeToString())
    return path


def onnx_helper(d: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    path = d / "relu.onnx"
    onnx.save(helper.make_model(graph), path)
    return path


def safetensors_file(d: Path) -> Path:
    import numpy as np
    from safetensors.numpy import save_file

    path = d / "model.safetensors"
    save_file(
        {"w": np.ones((2, 3), dtype=np.float32), "b": np.zeros(3, dtype=np.int64)},
        str(path),
        metadata={"format": "np"},
    )
    return path


BENIGN_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ '<|system|>\\n' + message['content'] + eos_token }}{% elif loop.first %}{{ bos_token }}"
    "{% endif %}{{ '<|' + message['role'] + '|>\\n' + message['content'] }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def gguf_file(d: Path, template: str = BENIGN_TEMPLATE, name: str = "model.gguf") -> Path:
    import gguf
    import numpy as np

    path = d / name
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_chat_template(template)
    writer.add_tensor("tok_embd", np.ones((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def plain_containers(d: Path) -> Path:
    from collections import OrderedDict, defaultdict

    data = {"od": OrderedDict(a=1), "dd": defaultdict(list), "s": {1, 2}, "fs": frozenset({3}),
            "c": complex(1, 2), "b": bytearray(b"xy"), "r": range(3), "sl": slice(1, 2)}  # fmt: skip
    path = d / "plain.pkl"
    path.write_bytes(pickle.dumps(data, protocol=2) + b"")
    return path


def protocol0(d: Path) -> Path:
    from collections import OrderedDict

    path = d / "proto0.pickle"
    path.write_bytes(pickle.dumps({"a": [1, 2.5, "x"], "o": OrderedDict(b=2)}, protocol=0))
    return path


BENIGN: dict[str, Builder] = {
    f.__name__: f
    for f in (
        torch_state_dict, torch_whole_module, torch_legacy, torch_legacy_module, torchscript,
        torch_checkpoint_optim, sklearn_pickle, sklearn_joblib, sklearn_joblib_compressed,
        sklearn_joblib_lzma, sklearn_text_and_density, sklearn_meta_estimators, pandas_pickle, xgboost_pickle, lightgbm_pickle, numpy_npy,
        numpy_npz, keras_v3, keras_h5, onnx_skl2onnx, onnx_helper, safetensors_file, gguf_file,
        plain_containers, protocol0,
    )
}  # fmt: skip


def numpy_old_randomstate(d: Path) -> Path:
    """A RandomState as numpy < 1.17 pickled it (gensim's and old scikit-learn models hold one):
    ``numpy.random.__RandomState_ctor()`` then the state tuple (BUILD)."""
    import numpy as np

    class OldRandomState:
        def __reduce__(self) -> tuple[object, ...]:
            # getattr: written as an attribute inside a class, the name would be mangled.
            ctor = getattr(np.random, "__RandomState_ctor")
            return ctor, (), np.random.RandomState(3).get_state()

    path = d / "old_randomstate.pkl"
    path.write_bytes(pickle.dumps({"random_state": OldRandomState()}, protocol=2))
    return path


def numpy_py2_scalar(d: Path) -> Path:
    """A float64 scalar as Python 2 numpy pickled it: its raw bytes are a py2 str
    (SHORT_BINSTRING), which Python 3 reads as str (bytes chosen ASCII, as the default encoding
    needs). gensim's tfidf and fastText test models hold these."""
    dtype = (
        b"cnumpy\ndtype\nU\x02f8K\x00K\x01\x87R"
        b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )
    scalar = b"cnumpy.core.multiarray\nscalar\n" + dtype + b"U\x08" + struct.pack("<d", 2.0)
    path = d / "py2_scalar.pkl"
    path.write_bytes(b"\x80\x02}U\x04normq" + b"\x00" + scalar + b"\x86Rs.")
    return path


def numpy_old_recarray(d: Path) -> Path:
    """A record array as numpy < 1.17 pickled it (statsmodels' test results): the names of
    numpy.core.records and numpy.core.multiarray, where today's numpy writes numpy.rec and
    numpy._core."""
    import numpy as np

    records = np.rec.array([(1, 2.5), (3, 4.5)], dtype=[("a", "i4"), ("b", "f8")])
    raw = pickle.dumps(records, protocol=2)
    for new, old in (
        (b"c" + np.ndarray.__reduce__(records)[0].__module__.encode(), b"cnumpy.core.multiarray"),
        (b"cnumpy.rec\nrecarray\n", b"cnumpy.core.records\nrecarray\n"),
        (b"cnumpy\nrecord\n", b"cnumpy.core.records\nrecord\n"),
    ):
        assert new in raw, new
        raw = raw.replace(new, old)
    path = d / "old_recarray.pkl"
    path.write_bytes(raw)
    return path


LEGACY: dict[str, Builder] = {
    f.__name__: f for f in (numpy_old_randomstate, numpy_py2_scalar, numpy_old_recarray)
}
"""Files of numpy releases no longer installable here, made byte for byte as they wrote them."""

__all__ = [
    "BENIGN", "BENIGN_TEMPLATE", "LEGACY", "Builder", "gguf_file", "io", "json", "struct",
]  # fmt: skip
