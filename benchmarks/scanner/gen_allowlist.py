"""Derive src/mlsvs/scanner/data/allowlist-v1.json from real benign files.

Generates ordinary files with torch, numpy, scikit-learn (every estimator that fits on a tiny
data set), pandas, scipy, xgboost, lightgbm and the stdlib, scans them with the mlsvs pickle
emulator and records every callable they reference. Callables the denylist marks dangerous are
never added (they are printed for review instead). Run from the repository root::

    KERAS_BACKEND=torch python benchmarks/scanner/gen_allowlist.py [--check]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "src" / "mlsvs" / "scanner" / "data" / "allowlist-v1.json"


def _objects() -> list[tuple[str, object]]:
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    objs: list[tuple[str, object]] = [
        (
            "np-dtypes",
            [
                np.zeros(2, dtype=t)
                for t in (
                    "f2",
                    "f4",
                    "f8",
                    "i1",
                    "i2",
                    "i4",
                    "i8",
                    "u1",
                    "u2",
                    "u4",
                    "u8",
                    "b1",
                    "c8",
                    "c16",
                    "U3",
                    "S3",
                    "M8[ns]",
                    "m8[s]",
                )
            ],
        ),
        ("np-scalars", [np.float32(1), np.int64(2), np.bool_(True), np.str_("a"), np.float64(1)]),
        ("np-struct", np.zeros(2, dtype=[("a", "f4"), ("b", "i8")])),
        ("np-masked", np.ma.masked_array([1, 2], mask=[0, 1])),
        ("np-rng", [np.random.default_rng(0), np.random.RandomState(0)]),
        (
            "scipy-sparse",
            [
                sp.csr_matrix(np.eye(3)),
                sp.csc_matrix(np.eye(2)),
                sp.coo_matrix(np.eye(2)),
                sp.csr_array(np.eye(2)),
                sp.lil_matrix(np.eye(2)),
            ],
        ),
        (
            "pandas",
            [
                pd.DataFrame({"a": [1.0], "s": ["x"], "c": pd.Categorical(["u"])}),
                pd.Series([1, 2], index=pd.date_range("2024", periods=2, tz="UTC")),
                pd.MultiIndex.from_tuples([(1, "a")]),
                pd.Timestamp("2024-01-01"),
                pd.Timedelta(1, "s"),
                pd.Period("2024-01"),
                pd.Interval(0, 1),
                pd.Series(pd.array([1, None], dtype="Int64")),
                pd.Series(pd.array(["a", None], dtype="string")),
                pd.Series([True], dtype="boolean"),
                pd.RangeIndex(3),
                pd.DataFrame(rng.normal(size=(3, 2))).set_index(0),
            ],
        ),
    ]
    objs += _sklearn_objects(rng)
    objs += _torch_objects()
    return objs


def _sklearn_objects(rng: object) -> list[tuple[str, object]]:
    import numpy as np
    from sklearn.utils import all_estimators

    x = np.random.default_rng(0).normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    yr = x[:, 1] * 2
    out: list[tuple[str, object]] = []
    for kind in ("classifier", "regressor", "transformer", "cluster"):
        for name, cls in all_estimators(type_filter=kind):
            try:
                est = cls()
                target = y if kind == "classifier" else yr if kind == "regressor" else None
                est.fit(np.abs(x) if "NB" in name or "Chi" in name else x, target)
                out.append((f"sklearn-{name}", est))
            except Exception:
                continue
    return out


def _torch_objects() -> list[tuple[str, object]]:
    import torch

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.1),
        nn.Flatten(),
        nn.LayerNorm(2),
        nn.Embedding(3, 2),
        nn.LSTM(2, 2),
        nn.GRU(2, 2),
        nn.MultiheadAttention(2, 1),
        nn.GELU(),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.Softmax(dim=-1),
        nn.Identity(),
        nn.TransformerEncoderLayer(4, 2),
        nn.ModuleList([nn.Linear(1, 1)]),
        nn.ModuleDict({"a": nn.Linear(1, 1)}),
        nn.Conv1d(1, 1, 1),
        nn.ConvTranspose2d(1, 1, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.SiLU(),
        nn.LeakyReLU(),
        nn.GroupNorm(1, 2),
        nn.Upsample(scale_factor=2),
    )
    opts = []
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop):
        p = nn.Linear(2, 1)
        opt = cls(p.parameters(), lr=0.1)
        p(torch.ones(1, 2)).sum().backward()
        opt.step()
        opts.append(opt.state_dict())
    sched = torch.optim.lr_scheduler.StepLR(torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1), 1)
    tensors = [
        torch.zeros(2, dtype=t)
        for t in (
            torch.float16,
            torch.bfloat16,
            torch.float32,
            torch.float64,
            torch.int8,
            torch.uint8,
            torch.int16,
            torch.int32,
            torch.int64,
            torch.bool,
            torch.complex64,
        )
    ]
    extra = {
        "params": nn.Parameter(torch.ones(2)),
        "size": torch.Size([2]),
        "dev": torch.device("cpu"),
        "dtype": torch.float32,
        "sparse": torch.eye(2).to_sparse(),
        "q": torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8),
    }
    return [("torch-module", model), ("torch-opt", opts), ("torch-sched", sched.state_dict()),
            ("torch-tensors", tensors), ("torch-extra", extra)]  # fmt: skip


def _write(d: Path, name: str, obj: object) -> list[Path]:
    import joblib
    import torch

    paths = []
    safe = name.replace("/", "_")
    p = d / f"{safe}.pkl"
    try:
        p.write_bytes(pickle.dumps(obj, protocol=4))
        paths.append(p)
        p2 = d / f"{safe}.p2.pkl"
        p2.write_bytes(pickle.dumps(obj, protocol=2))
        paths.append(p2)
    except Exception as exc:
        print(f"skip pickle {name}: {exc}")
    j = d / f"{safe}.joblib"
    try:
        joblib.dump(obj, j)
        paths.append(j)
    except Exception as exc:
        print(f"skip joblib {name}: {exc}")
    if name.startswith("torch"):
        t = d / f"{safe}.pt"
        torch.save(obj, t)
        paths.append(t)
        t2 = d / f"{safe}.legacy.pt"
        torch.save(obj, t2, _use_new_zipfile_serialization=False)
        paths.append(t2)
    return paths


def collect() -> tuple[set[str], set[str]]:
    """(callables to allow, dangerous callables seen in benign files)."""
    from tests.scanner.scan_benign import BENIGN

    from mlsvs.scanner import scan_path
    from mlsvs.scanner.rules import Rule

    allow: set[str] = set()
    dangerous: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Path(tmp)
        paths = [builder(d) for builder in BENIGN.values()]
        for name, obj in _objects():
            paths += _write(d, name, obj)
        for path in paths:
            for f in scan_path(path).findings:
                name = dict(f.facts).get("callable")
                if f.rule is Rule.PKL002 and name:
                    allow.add(name)
                elif f.rule is Rule.PKL001 and name:
                    dangerous.add(name)
                else:
                    print(f"REVIEW {path.name}: {f.rule} {f.message}")
    return allow, dangerous


# Reviewed by hand: what older library versions and common checkpoints reference, which the
# generated corpus above does not happen to produce with today's versions.
CURATED = {
    "copyreg._reconstructor": "stdlib", "copyreg.__newobj__": "stdlib",
    "copyreg.__newobj_ex__": "stdlib", "builtins.object": "stdlib", "builtins.dict": "stdlib",
    "builtins.tuple": "stdlib", "builtins.int": "stdlib", "builtins.float": "stdlib",
    "builtins.str": "stdlib", "builtins.bool": "stdlib", "collections.Counter": "stdlib",
    "collections.deque": "stdlib", "datetime.datetime": "stdlib", "datetime.date": "stdlib",
    "datetime.time": "stdlib", "decimal.Decimal": "stdlib", "fractions.Fraction": "stdlib",
    "uuid.UUID": "stdlib", "pathlib.PosixPath": "stdlib", "pathlib.WindowsPath": "stdlib",
    "pathlib.PurePosixPath": "stdlib", "pathlib.PureWindowsPath": "stdlib",
    "argparse.Namespace": "stdlib", "re._compile": "stdlib", "enum.Enum": "stdlib",
    "numpy.core.multiarray._reconstruct": "numpy<2", "numpy.core.multiarray.scalar": "numpy<2",
    "numpy.core.numeric._frombuffer": "numpy<2", "numpy.ndarray": "numpy", "numpy.dtype": "numpy",
    "numpy.random._pickle.__randomstate_ctor": "numpy", "numpy.random._pickle.__generator_ctor": "numpy",
    "numpy.random._pickle.__bit_generator_ctor": "numpy", "numpy.core.multiarray.dtype": "numpy<2",
    "joblib.numpy_pickle.NumpyArrayWrapper": "joblib", "joblib.numpy_pickle.NDArrayWrapper": "joblib",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper": "sklearn<0.23",
    "torch._utils._rebuild_tensor": "torch", "torch._utils._rebuild_parameter": "torch",
    "torch._utils._rebuild_parameter_with_state": "torch", "torch._utils._rebuild_qtensor": "torch",
    "torch._utils._rebuild_sparse_tensor": "torch", "torch._utils._rebuild_device_tensor_from_numpy": "torch",
    "torch._utils._rebuild_meta_tensor_no_storage": "torch", "torch._utils._rebuild_wrapper_subclass": "torch",
    "torch._tensor._rebuild_from_type_v2": "torch", "torch._tensor._rebuild_from_type": "torch",
    "torch.Size": "torch", "torch.device": "torch", "torch.nn.parameter.Parameter": "torch",
    "torch.FloatStorage": "torch", "torch.DoubleStorage": "torch", "torch.HalfStorage": "torch",
    "torch.BFloat16Storage": "torch", "torch.LongStorage": "torch", "torch.IntStorage": "torch",
    "torch.ShortStorage": "torch", "torch.CharStorage": "torch", "torch.ByteStorage": "torch",
    "torch.BoolStorage": "torch", "torch.ComplexFloatStorage": "torch",
    "torch.ComplexDoubleStorage": "torch", "torch.UntypedStorage": "torch",
    "torch.float32": "torch", "torch.float16": "torch", "torch.bfloat16": "torch",
    "torch.float64": "torch", "torch.int64": "torch", "torch.int32": "torch", "torch.int8": "torch",
    "torch.uint8": "torch", "torch.bool": "torch", "torch.per_tensor_affine": "torch",
    "torch.storage._load_from_bytes": "torch (payload is scanned recursively)",
    "torch.jit._pickle.build_intlist": "torchscript", "torch.jit._pickle.build_tensorlist": "torchscript",
    "torch.jit._pickle.build_doublelist": "torchscript", "torch.jit._pickle.build_boollist": "torchscript",
    "torch.jit._pickle.restore_type_tag": "torchscript",
}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report missing entries")
    args = parser.parse_args()
    current = json.loads(OUT.read_text())
    allow, dangerous = collect()
    known = set(current["callables"])
    missing = sorted(allow - known - set(CURATED))
    print(f"{len(allow)} callables referenced; {len(missing)} missing from the allowlist")
    for name in sorted(dangerous):
        print(f"REVIEW (denylisted but seen in a benign file): {name}")
    if args.check:
        return 1 if missing else 0
    merged = {k: v for k, v in current["callables"].items() if not k.startswith("__torch__")}
    merged.update(CURATED)
    for name in missing:
        if not name.startswith("__torch__"):  # TorchScript classes: allowed in TorchScript only
            merged[name] = name.split(".")[0]
    current["callables"] = dict(sorted(merged.items()))
    OUT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
