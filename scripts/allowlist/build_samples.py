"""Build ordinary files with whatever ML libraries this interpreter has (run inside a venv).

Standalone on purpose: it runs under the interpreter of a throwaway venv holding one released
version of numpy / pandas / scikit-learn / scipy / torch / xgboost / lightgbm, and never imports
mlsvs. For every object group it writes pickles at protocols 2-5, joblib files (plain and
compressed) and, for torch, zip and legacy checkpoints, plus ``manifest.json`` naming the
library versions that produced each file. ``scripts/gen_allowlist.py`` scans the result.

    python scripts/allowlist/build_samples.py OUTDIR [GROUP,GROUP]   (groups: stdlib, torch ...)
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import importlib.metadata
import json
import pathlib
import pickle
import sys
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Group = tuple[str, tuple[str, ...], object]
"""(name, distributions that produced it, object)."""


def _stdlib() -> Iterator[Group]:
    yield "stdlib", (), {
        "od": collections.OrderedDict(a=1), "dd": collections.defaultdict(list, a=[1]),
        "counter": collections.Counter("aab"), "deque": collections.deque([1, 2]),
        "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "date": datetime.date(2024, 1, 2), "time": datetime.time(1, 2),
        "td": datetime.timedelta(days=1), "dec": decimal.Decimal("1.5"),
        "frac": fractions.Fraction(1, 3), "uuid": uuid.UUID(int=1), "set": {1, 2},
        "fs": frozenset({1}), "complex": 1j, "bytes": b"ab", "bytearray": bytearray(b"x"),
        "range": range(3), "slice": slice(1, 2), "path": pathlib.PurePosixPath("a/b"),
        "types": [int, float, str, bool, tuple, object, complex, bytes, dict, list],
        "none": None, "big": 1 << 80, "float": 1.5, "text": "x" * 300,
    }  # fmt: skip


def _numpy() -> Iterator[Group]:
    import numpy as np

    dtypes = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8",
              "c16", "U3", "S3", "M8[ns]", "m8[s]", "O"]  # fmt: skip
    yield "numpy-arrays", ("numpy",), [np.zeros(2, dtype=t) for t in dtypes]
    yield "numpy-scalars", ("numpy",), [np.float32(1), np.int64(2), np.bool_(True),
                                        np.str_("a"), np.float64(1), np.complex64(1)]  # fmt: skip
    yield "numpy-struct", ("numpy",), np.zeros(2, dtype=[("a", "f4"), ("b", "i8")])
    yield "numpy-masked", ("numpy",), np.ma.masked_array([1, 2], mask=[False, True])
    yield "numpy-fortran", ("numpy",), np.asfortranarray(np.ones((2, 3)))
    yield "numpy-rng", ("numpy",), [np.random.default_rng(0), np.random.RandomState(0),
                                    np.random.Generator(np.random.PCG64(1)),
                                    np.random.SeedSequence(3)]  # fmt: skip
    # Every ufunc: FunctionTransformer(func=..., inverse_func=...) and
    # TransformedTargetRegressor hold whichever one a user picked (np.expm1, np.square ...).
    ufuncs = sorted(
        (f for f in vars(np).values() if isinstance(f, np.ufunc)), key=lambda f: f.__name__
    )
    yield "numpy-ufuncs", ("numpy",), ufuncs
    yield "numpy-matrix", ("numpy",), np.matrix([[1, 2], [3, 4]])
    # Record arrays (DataFrame.to_records(), statsmodels' results): their own array class and
    # a dtype built on numpy.record.
    records = np.rec.array([(1, 2.5), (3, 4.5)], dtype=[("a", "i4"), ("b", "f8")])
    yield "numpy-records", ("numpy",), [records, records[0]]


def _numpy_files(out: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """numpy's own files: .npy/.npz of object, structured and plain arrays."""
    import numpy as np

    objects = np.array([None, "text", b"raw", 1.5, (1, 2), {"k": [1]}], dtype=object)
    struct = np.zeros(2, dtype=[("a", "f4"), ("b", "i8"), ("s", "U3")])
    for name, arr in (("object", objects), ("struct", struct), ("plain", np.arange(6.0))):
        np.save(out / f"numpy-{name}.npy", arr, allow_pickle=True)
        yield f"numpy-{name}.npy", ("numpy",)
    np.savez(out / "numpy-mixed.npz", o=objects, s=struct, p=np.eye(2))
    yield "numpy-mixed.npz", ("numpy",)
    np.savez_compressed(out / "numpy-mixed-compressed.npz", o=objects, p=np.eye(2))
    yield "numpy-mixed-compressed.npz", ("numpy",)


def _scipy() -> Iterator[Group]:
    import numpy as np
    import scipy.sparse as sp

    mats = [sp.csr_matrix(np.eye(3)), sp.csc_matrix(np.eye(2)), sp.coo_matrix(np.eye(2)),
            sp.lil_matrix(np.eye(2)), sp.dok_matrix(np.eye(2)), sp.bsr_matrix(np.eye(2)),
            sp.dia_matrix(np.eye(2))]  # fmt: skip
    if hasattr(sp, "csr_array"):
        mats.append(sp.csr_array(np.eye(2)))
    yield "scipy-sparse", ("scipy", "numpy"), mats


def _pandas() -> Iterator[Group]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    objs: list[object] = [
        pd.DataFrame({"a": [1.0], "s": ["x"], "c": pd.Categorical(["u"])}),
        pd.Series([1, 2], index=pd.date_range("2024", periods=2, tz="UTC")),
        pd.MultiIndex.from_tuples([(1, "a")]), pd.Timestamp("2024-01-01"),
        pd.Timedelta(1, "s"), pd.Period("2024-01"), pd.Interval(0, 1),
        pd.Series(pd.array([1, None], dtype="Int64")),
        pd.Series(pd.array([1.5, None], dtype="Float64")),
        pd.Series(pd.array(["a", None], dtype="string")),
        pd.Series([True, None], dtype="boolean"), pd.RangeIndex(3),
        pd.DataFrame(rng.normal(size=(3, 2))).set_index(0),
        pd.period_range("2024-01", periods=2, freq="M"), pd.timedelta_range("1D", periods=2),
        pd.interval_range(0, 2), pd.Series(pd.arrays.SparseArray([0, 1, 0])),
        pd.CategoricalIndex(["a", "b"]), pd.Series(pd.Categorical(["a"], ordered=True)),
        pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).tz_localize("Europe/Paris")}),
        pd.offsets.MonthEnd(), pd.offsets.Day(2), pd.offsets.Hour(), pd.NaT, pd.NA,
    ]  # fmt: skip
    try:
        objs.append(pd.Series(["a", None], dtype="string[pyarrow]"))
        objs.append(pd.Series([1, None], dtype="int64[pyarrow]"))
    except (ImportError, TypeError):
        pass
    yield "pandas", ("pandas", "numpy"), objs


def _sklearn_inputs() -> list[tuple[object, object]]:
    """The inputs an estimator may need, tried in order: numeric (with a class or a real-valued
    target, or none), non-negative, documents (text vectorizers), dicts (DictVectorizer,
    FeatureHasher), label lists (MultiLabelBinarizer) and a bare target (LabelEncoder)."""
    import numpy as np

    x = np.random.default_rng(0).normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    docs = [f"the {w} sat on the mat number {i % 7}" for i, w in enumerate(["cat", "dog"] * 30)]
    dicts = [{"city": ["Paris", "Oslo"][i % 2], "temp": float(i)} for i in range(60)]
    labels = [["a", "b"], ["b"], ["c"]] * 20
    return [
        (x, y), (x, x[:, 1] * 2), (x, None), (np.abs(x), y), (np.abs(x), None),
        (docs, y), (docs, None), (dicts, None), (labels, None), (y, None),
    ]  # fmt: skip


def _sklearn_required(cls: type, regressor: bool) -> dict[str, object] | None:
    """Arguments for the required parameters of a meta-estimator (searches, ensembles of
    estimators, wrappers), or None when one is unknown."""
    import inspect

    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def base() -> object:
        return Ridge() if regressor else LogisticRegression()

    grid = {"alpha": [0.1, 1.0]} if regressor else {"C": [0.1, 1.0]}
    second = (
        DecisionTreeRegressor(max_depth=2) if regressor else DecisionTreeClassifier(max_depth=2)
    )
    fill: dict[str, Callable[[], object]] = {
        "estimator": base, "base_estimator": base,
        "estimators": lambda: [("lin", base()), ("tree", second)],
        "param_grid": lambda: grid, "param_distributions": lambda: grid,
        "steps": lambda: [("scale", StandardScaler()), ("model", base())],
        "transformers": lambda: [("scale", StandardScaler(), [0, 1])],
        "transformer_list": lambda: [("scale", StandardScaler())],
    }  # fmt: skip
    kwargs: dict[str, object] = {}
    for param in inspect.signature(cls.__init__).parameters.values():
        if param.name == "self" or param.default is not inspect.Parameter.empty:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name not in fill:
            return None
        kwargs[param.name] = fill[param.name]()
    return kwargs


def _sklearn_meta() -> Iterator[Group]:
    """Meta-estimators (GridSearchCV, VotingClassifier, RFE, OneVsRestClassifier ...), fitted
    around a linear model, searches with scorers and splitters, and every named scorer."""
    import numpy as np
    from sklearn.metrics import get_scorer, get_scorer_names
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.utils import all_estimators

    x = np.random.default_rng(0).normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    dists = ("scikit-learn", "numpy", "scipy")
    for name, cls in all_estimators():
        for regressor in (False, True):
            kwargs = _sklearn_required(cls, regressor)
            if not kwargs:
                continue
            # One target, then several (MultiOutputRegressor, ClassifierChain ...).
            targets = (x[:, 1] * 2, x[:, :2]) if regressor else (y, np.c_[y, 1 - y])
            for target in targets:
                try:
                    fitted = cls(**kwargs).fit(x, target)
                except Exception:  # noqa: BLE001,S112 - a wrapper of the other kind, odd input
                    continue
                yield f"sklearn-meta-{name}-{'reg' if regressor else 'clf'}", dists, fitted
                break
    scorers = []
    for scorer_name in get_scorer_names():
        try:
            scorers.append(get_scorer(scorer_name))
        except Exception:  # noqa: BLE001,S112 - scorers needing an optional dependency
            continue
    yield "sklearn-scorers", dists, scorers
    from sklearn.linear_model import LogisticRegression

    for scoring in ("accuracy", "f1", "roc_auc", "neg_log_loss", None):
        search = GridSearchCV(
            LogisticRegression(), {"C": [0.1, 1.0]}, scoring=scoring, cv=KFold(2)
        ).fit(x, y)
        yield f"sklearn-search-{scoring}", dists, search
    import sklearn.model_selection as model_selection

    splitters = []
    for attr in sorted(vars(model_selection)):
        kind = getattr(model_selection, attr)
        if isinstance(kind, type) and hasattr(kind, "split") and hasattr(kind, "get_n_splits"):
            try:
                splitters.append(kind())
            except Exception:  # noqa: BLE001,S112 - splitters with required arguments
                continue
    yield "sklearn-splitters", dists, splitters


def _sklearn() -> Iterator[Group]:
    import numpy as np
    from sklearn.utils import all_estimators

    inputs = _sklearn_inputs()
    for name, cls in all_estimators():
        try:
            est = cls()
        except Exception:  # noqa: BLE001,S112 - meta-estimators need an estimator argument
            continue
        # Unfitted too: constructor parameters alone name globals (dtype=numpy.int64 ...).
        yield f"sklearn-{name}-unfitted", ("scikit-learn", "numpy", "scipy"), est
        for data, target in inputs:
            try:
                fitted = cls().fit(data) if target is None else cls().fit(data, target)
            except Exception:  # noqa: BLE001,S112 - the next input kind may be the right one
                continue
            yield f"sklearn-{name}", ("scikit-learn", "numpy", "scipy"), fitted
            break
    yield from _sklearn_meta()
    x = np.random.default_rng(0).normal(size=(60, 4))
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    pipe = make_pipeline(StandardScaler(), FunctionTransformer(np.log1p)).fit(np.abs(x))
    yield "sklearn-pipeline", ("scikit-learn", "numpy"), pipe
    ct = ColumnTransformer([("s", StandardScaler(), [0, 1])]).fit(x)
    yield "sklearn-columns", ("scikit-learn", "numpy"), ct


def _boosters() -> Iterator[Group]:
    import numpy as np

    x = np.random.default_rng(0).normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    try:
        import xgboost

        yield (
            "xgboost",
            ("xgboost", "numpy"),
            [
                xgboost.XGBClassifier(n_estimators=2).fit(x, y),
                xgboost.XGBRegressor(n_estimators=2).fit(x, y.astype(float)),
            ],
        )
    except ImportError:
        pass
    try:
        import lightgbm

        yield (
            "lightgbm",
            ("lightgbm", "numpy"),
            [
                lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(x, y),
                lightgbm.LGBMRegressor(n_estimators=2, verbose=-1).fit(x, y.astype(float)),
            ],
        )
    except ImportError:
        pass


def _torch() -> Iterator[Group]:
    import torch

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.1),
        nn.Flatten(), nn.LayerNorm(2), nn.Embedding(3, 2), nn.LSTM(2, 2), nn.GRU(2, 2),
        nn.MultiheadAttention(2, 1), nn.GELU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=-1),
        nn.Identity(), nn.TransformerEncoderLayer(4, 2), nn.ModuleList([nn.Linear(1, 1)]),
        nn.ModuleDict({"a": nn.Linear(1, 1)}), nn.Conv1d(1, 1, 1), nn.ConvTranspose2d(1, 1, 1),
        nn.AdaptiveAvgPool2d(1), nn.SiLU(), nn.LeakyReLU(), nn.GroupNorm(1, 2),
        nn.Upsample(scale_factor=2),
    )  # fmt: skip
    opts = []
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop):
        p = nn.Linear(2, 1)
        opt = cls(p.parameters(), lr=0.1)
        p(torch.ones(1, 2)).sum().backward()
        opt.step()
        opts.append(opt.state_dict())
    dtypes = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8,
              torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool,
              torch.complex64]  # fmt: skip
    yield "torch-module", ("torch",), model
    yield "torch-state-dict", ("torch",), model.state_dict()
    yield "torch-optim", ("torch",), opts
    yield "torch-tensors", ("torch",), [torch.zeros(2, dtype=t) for t in dtypes]

    class Sub(torch.Tensor):
        pass

    globals()["Sub"] = Sub  # picklable by reference (builder-local class)
    Sub.__qualname__ = "Sub"
    tagged = torch.ones(2)
    tagged.tag = "python state"  # type: ignore[attr-defined]
    yield "torch-tensor-state", ("torch",), tagged
    param = nn.Parameter(torch.ones(2))
    param.note = "extra attribute"  # type: ignore[attr-defined]
    extra_dtypes = [torch.quint8, torch.qint8, torch.float8_e4m3fn]
    yield "torch-dtypes", ("torch",), [*dtypes, *extra_dtypes]
    yield "torch-storage", ("torch",), [torch.UntypedStorage(4), torch.ones(2).untyped_storage()]  # type: ignore[no-untyped-call]
    yield "torch-param-state", ("torch",), param
    yield "torchscript", ("torch",), torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    yield "torch-extra", ("torch",), {
        "param": nn.Parameter(torch.ones(2)), "size": torch.Size([2]),
        "device": torch.device("cpu"), "dtype": torch.float32,
        "sparse": torch.eye(2).to_sparse(), "view": torch.arange(6)[2:],
        "q": torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8),
        "meta": torch.empty(2, device="meta"), "np": torch.ones(2).numpy(),
    }  # fmt: skip


def _booster_files(out: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Native booster files: xgboost JSON/UBJ/legacy binary, LightGBM text."""
    import numpy as np

    x = np.random.default_rng(0).normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    try:
        import xgboost

        booster = xgboost.XGBClassifier(n_estimators=2).fit(x, y).get_booster()
        for suffix in ("json", "ubj"):
            booster.save_model(str(out / f"xgboost-native.{suffix}"))
            yield f"xgboost-native.{suffix}", ("xgboost",)
    except ImportError:
        pass
    try:
        import lightgbm

        model = lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(x, y)
        model.booster_.save_model(str(out / "lightgbm-native.txt"))
        yield "lightgbm-native.txt", ("lightgbm",)
    except ImportError:
        pass


def _keras_files(out: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Keras 3 .keras archives, weights files and legacy .h5 of standard layers."""
    import keras

    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dropout(0.1),
        keras.layers.BatchNormalization(), keras.layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.save(out / "keras-sequential.keras")
    yield "keras-sequential.keras", ("keras",)
    model.save_weights(out / "keras-sequential.weights.h5")
    yield "keras-sequential.weights.h5", ("keras",)
    model.save(out / "keras-sequential.h5")  # legacy HDF5 (h5py)
    yield "keras-sequential.h5", ("keras",)
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Conv2D(2, 3)(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    functional = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    functional.save(out / "keras-functional.keras")
    yield "keras-functional.keras", ("keras",)


def _tensor_files(out: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Code-free formats written by their own libraries: safetensors, ONNX (model and
    TensorProto), GGUF with a ChatML chat template."""
    import numpy as np

    try:
        from safetensors.numpy import save_file

        save_file({"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.int64)},
                  str(out / "weights.safetensors"), metadata={"format": "np"})  # fmt: skip
        yield "weights.safetensors", ("safetensors",)
    except ImportError:
        pass
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
            "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
            [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3])],
            [numpy_helper.from_array(np.ones((2, 3), np.float32), "w")],
        )  # fmt: skip
        onnx.save(helper.make_model(graph), str(out / "model.onnx"))
        yield "model.onnx", ("onnx",)
        onnx.save_tensor(numpy_helper.from_array(np.ones((1, 2), np.float32), "x"),
                         str(out / "input_0.pb"))  # fmt: skip
        yield "input_0.pb", ("onnx",)
    except ImportError:
        pass
    try:
        import gguf

        writer = gguf.GGUFWriter(str(out / "tiny.gguf"), "llama")
        writer.add_block_count(1)
        writer.add_tokenizer_model("llama")
        writer.add_token_list(["<unk>", "<s>", "</s>", "\u2581hi"])
        writer.add_chat_template(
            "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + "
            "'<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}"
            "{{ '<|im_start|>assistant\\n' }}{% endif %}"
        )
        writer.add_tensor("tok_embd.weight", np.zeros((4, 8), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        yield "tiny.gguf", ("gguf",)
    except ImportError:
        pass


FILE_GROUPS: tuple[Callable[[Path], Iterator[tuple[str, tuple[str, ...]]]], ...] = (
    _numpy_files, _booster_files, _keras_files, _tensor_files,
)  # fmt: skip
"""Files a library writes itself (not a pickle of an object): (file name, distributions)."""


GROUPS: tuple[Callable[[], Iterator[Group]], ...] = (
    _stdlib, _numpy, _scipy, _pandas, _sklearn, _boosters, _torch,
)  # fmt: skip


def _dists() -> dict[str, str]:
    out = {}
    for dist in ("numpy", "pandas", "scikit-learn", "scipy", "torch", "xgboost", "lightgbm",
                 "joblib", "pyarrow", "keras", "safetensors", "onnx", "gguf"):  # fmt: skip
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _write(out: Path, name: str, obj: object, torch_too: bool) -> list[str]:
    written: list[str] = []
    if name == "torchscript":
        import torch

        p = out / f"{name}.pt"
        torch.jit.save(obj, p)
        return [p.name]
    for protocol in (0, 1, 2, 3, 4, 5):
        p = out / f"{name}.p{protocol}.pkl"
        try:
            p.write_bytes(pickle.dumps(obj, protocol=protocol))
        except Exception as exc:  # noqa: BLE001 - an unpicklable object is reported, not fatal
            print(f"skip pickle {name}: {exc}", file=sys.stderr)
            return written
        written.append(p.name)
    try:
        import joblib

        for suffix, compress in (("joblib", 0), ("z.joblib", 3), ("xz.joblib", ("xz", 3))):
            p = out / f"{name}.{suffix}"
            joblib.dump(obj, p, compress=compress)
            written.append(p.name)
    except ImportError:
        pass
    if torch_too:
        import torch

        for suffix, zipped in (("pt", True), ("legacy.pt", False)):
            p = out / f"{name}.{suffix}"
            torch.save(obj, p, _use_new_zipfile_serialization=zipped)
            written.append(p.name)
    return written


def main() -> int:
    out = Path(sys.argv[1])
    only = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else None
    out.mkdir(parents=True, exist_ok=True)
    versions = _dists()
    files: list[dict[str, object]] = []
    warnings.simplefilter("ignore")
    for group in GROUPS:
        if only is not None and group.__name__.strip("_") not in only:
            continue
        try:
            items = list(group())
        except ImportError as exc:
            print(f"skip {group.__name__}: {exc}", file=sys.stderr)
            continue
        for name, dists, obj in items:
            torch_too = "torch" in dists
            for fname in _write(out, name, obj, torch_too):
                used = sorted({*dists, "joblib"} if "joblib" in fname else set(dists))
                files.append({"file": fname, "dists": used})
    for file_group in FILE_GROUPS:
        if only is not None and file_group.__name__.strip("_") not in only:
            continue
        try:
            for fname, dists in file_group(out):
                files.append({"file": fname, "dists": sorted(dists)})
        except ImportError as exc:
            print(f"skip {file_group.__name__}: {exc}", file=sys.stderr)
    manifest = {"python": sys.version.split()[0], "versions": versions, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"{len(files)} files, versions {versions}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
