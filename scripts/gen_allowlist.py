"""Regenerate src/mlsvs/scanner/data/allowlist-v2.json from files real libraries write.

For every interpreter given (each a throwaway venv holding one release of numpy / pandas /
scikit-learn / scipy / torch / xgboost / lightgbm, see ``--make-venv``), it runs
``scripts/allowlist/build_samples.py`` to write ordinary pickles, joblib files and checkpoints,
scans them with the mlsvs emulator (never unpickling) and records every global they name and
the *call shape* of every call (one coarse kind per argument). Entries are merged over all
releases, each with the releases it came from. Denylisted names seen in benign files are never
added; they are printed for review. Run from the repository root::

    python scripts/gen_allowlist.py --make-venv /tmp/al-a "numpy==1.26.4 pandas==2.1.4 ..."
    python scripts/gen_allowlist.py --python /tmp/al-a/bin/python --python /tmp/al-b/bin/python \\
        --current [--check]

``--current`` also builds with this interpreter (torch CPU and the test suite's benign corpus).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from collections import defaultdict
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
OUT = ROOT / "src" / "mlsvs" / "scanner" / "data" / "allowlist-v2.json"
BUILDER = ROOT / "scripts" / "allowlist" / "build_samples.py"
DIST_OF_ROOT = {"numpy": "numpy", "pandas": "pandas", "sklearn": "scikit-learn", "scipy": "scipy",
                "torch": "torch", "xgboost": "xgboost", "lightgbm": "lightgbm",
                "joblib": "joblib", "pyarrow": "pyarrow", "keras": "keras"}  # fmt: skip

# Reviewed by hand: names no release installable on this Python writes any more, but which
# ordinary old files reference (name-only entries, no call shape).
CURATED = {
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper": "scikit-learn<0.23 (joblib)",
    "sklearn.externals.joblib.numpy_pickle.NDArrayWrapper": "scikit-learn<0.23 (joblib)",
    "joblib.numpy_pickle.NDArrayWrapper": "joblib<0.10 arrays",
    # read() rebuilds the array with numpy's _reconstruct and __setstate__ from the sibling
    # zfile's raw bytes (numpy_pickle_compat.read_zfile): no unpickling, unlike NDArrayWrapper.
    "joblib.numpy_pickle.ZNDArrayWrapper": "joblib<0.10 compressed arrays",
    "sklearn.externals.joblib.numpy_pickle.ZNDArrayWrapper": "scikit-learn<0.18 (joblib<0.10)",
    "torch.storage._load_from_bytes": "torch (payload scanned recursively)",
    "torch._utils._rebuild_tensor": "torch<1.0 checkpoints",
    "pathlib.PosixPath": "stdlib", "pathlib.WindowsPath": "stdlib",
    "pathlib.PureWindowsPath": "stdlib", "argparse.Namespace": "stdlib (training args)",
    "re._compile": "stdlib (compiled patterns)", "enum.Enum": "stdlib",
    "copyreg.__newobj__": "stdlib (reducers returning it under protocol 0/1)",
    "copyreg.__newobj_ex__": "stdlib (reducers returning it under protocol 0/1)",
    "numpy.core.multiarray.dtype": "numpy<1.16", "torch.UntypedStorage": "torch>=2.0 storages",
    "torch.ComplexDoubleStorage": "torch legacy storages",
    "torch.nn.parameter.Parameter": "torch (tensor subclass type argument)",
    "torch._utils._rebuild_device_tensor_from_numpy": "torch<1.10 (non-CPU numpy tensors)",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "torch (privateuse1 devices)",
    "torch._utils._rebuild_wrapper_subclass": "torch (wrapper tensor subclasses)",
    "torch._utils._rebuild_tensor_v3": "torch (tensors with non-default dtype storage)",
    "torch._utils._rebuild_nested_tensor": "torch (nested tensors)",
    "torch._tensor._rebuild_from_type": "torch<1.9 (tensor subclasses)",
    "torch.jit._pickle.build_boollist": "TorchScript",
    "torch.jit._pickle.build_doublelist": "TorchScript",
    "torch.jit._pickle.build_tensorlist": "TorchScript",
    "torch.jit._pickle.restore_type_tag": "TorchScript",
    "numpy.matrixlib.defmatrix.matrix": "numpy<2 (np.matrix; joblib/numpy test data)",
    "numpy.core._internal._reconstruct": "numpy<1.0 arrays (numpy's py2-np0-objarr.npy)",
    "numpy.core.records.recarray": "numpy<1.17 record arrays (statsmodels' test results)",
    "numpy.core.records.record": "numpy<1.17 record arrays (statsmodels' test results)",
}  # fmt: skip

# Positions a callee calls (see mlsvs.scanner.pickle_shapes.INVOKES) take exact callables; these
# are the ones the library itself passes there, read from its source (torch/_tensor.py
# Tensor._reduce_ex_internal), added to what the generated files show.
_TENSOR_REBUILDERS = [f"ref:torch._utils.{n}" for n in (
    "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_device_tensor_from_cpu_tensor",
    "_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage", "_rebuild_qtensor",
    "_rebuild_sparse_tensor", "_rebuild_nested_tensor", "_rebuild_wrapper_subclass",
    "_rebuild_parameter", "_rebuild_parameter_with_state")]  # fmt: skip
# Python 2 era numpy (seen in numpy's and joblib's own test data, e.g. astype_copy.pkl,
# joblib_0.10.0_pickle_py27_np17.pkl): dtype.__reduce__ passed align/copy as ints, and the
# ndarray placeholder dtype 'b' is a py2 str, read as str under encoding='latin1'. Before
# numpy 1.17 record arrays named numpy.core.records (statsmodels' vars_results.npz).
_ARRAY_CLASSES = ["ref:numpy.ndarray", "ref:numpy.matrixlib.defmatrix.matrix", "ref:numpy.matrix",
                  "ref:numpy.core.records.recarray"]  # fmt: skip
_RECONSTRUCT = {"arity": [3], "args": [_ARRAY_CLASSES, ["tuple"], ["bytes", "str"]]}
CURATED_SHAPES: dict[str, dict[str, object]] = {
    "numpy.dtype": {"arity": [3], "args": [["str", "ref:numpy.core.records.record"],
                                           ["bool", "int"], ["bool", "int"]]},
    # A py2 scalar's raw bytes are a py2 str too; numpy encodes a str argument as latin-1
    # ("backward compatibility with Python 2 NumPy pickles", multiarraymodule.c).
    "numpy.core.multiarray.scalar": {"arity": [2], "args": [["call:numpy.dtype"], ["str"]]},
    "numpy.core.multiarray._reconstruct": _RECONSTRUCT,
    "numpy._core.multiarray._reconstruct": _RECONSTRUCT,
    "numpy.core._internal._reconstruct": _RECONSTRUCT,
    "torch._tensor._rebuild_from_type_v2": {
        "arity": [4],
        "args": [_TENSOR_REBUILDERS, ["ref:*"], ["tuple"], ["dict", "none", "tuple"]]},
    "torch._tensor._rebuild_from_type": {
        "arity": [4], "args": [_TENSOR_REBUILDERS, ["ref:*"], ["tuple"], ["dict"]]},
    # numpy < 1.17 pickled a RandomState as __RandomState_ctor() and then its state (BUILD);
    # numpy still defines it, taking no argument, for those files (gensim's test models).
    "numpy.random.__RandomState_ctor": {"arity": [0], "args": []},
}  # fmt: skip
_SHAPE_ORIGINS = {"torch.": "curated: torch source", "numpy.random.": "curated: numpy<1.17"}


class Collector:
    """Accumulates names and call shapes, with provenance per entry."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = defaultdict(set)
        self.arities: dict[str, set[int]] = defaultdict(set)
        self.kinds: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.dangerous: dict[str, set[str]] = defaultdict(set)
        self.review: list[str] = []

    def scan(self, path: Path, prov: dict[str, str], python: str) -> None:
        from mlsvs.scanner import scan_path
        from mlsvs.scanner.pickle_names import normalize
        from mlsvs.scanner.pickle_scan import observing
        from mlsvs.scanner.pickle_values import EventKind
        from mlsvs.scanner.policy import CallVerdict, classify

        def origin(name: str) -> str:
            dist = DIST_OF_ROOT.get(name.split(".", maxsplit=1)[0])
            if dist is None:
                return f"python=={python}"
            return f"{dist}=={prov[dist]}" if dist in prov else dist

        def seen(event: object) -> None:
            kind = getattr(event, "kind", None)
            name = normalize(str(getattr(event, "name", "")))
            if kind in (EventKind.IMPORT, EventKind.REACH):
                verdict = classify(name).verdict
                if verdict is CallVerdict.DANGEROUS:
                    self.dangerous[name].add(path.name)
                else:
                    self.names[name].add(origin(name))
            elif kind is EventKind.CALL and classify(name).verdict is not CallVerdict.DANGEROUS:
                sig = getattr(event, "value", ())
                arity = len(sig) if not (sig and sig[-1].startswith("arity:")) else None
                if arity is not None:
                    self.arities[name].add(arity)
                for i, k in enumerate(sig):
                    if not k.startswith("arity:"):
                        self.kinds[name][i].add(k)

        with observing(seen):
            report = scan_path(path)
        for f in report.findings:
            if f.rule.value not in ("PKL001", "PKL002", "PKL009"):
                self.review.append(f"{path.name}: {f.rule.value} {f.message}")

    def entries(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for name in sorted(set(self.names) | set(self.arities)):
            if name.startswith("__torch__"):
                continue  # TorchScript classes are allowed inside TorchScript archives only
            entry: dict[str, object] = {"provenance": sorted(self.names.get(name, set()))}
            if name in self.arities:
                positions = max(self.kinds[name]) + 1 if self.kinds[name] else 0
                entry["shape"] = {
                    "arity": sorted(self.arities[name]),
                    "args": [sorted(self.kinds[name][i]) for i in range(positions)],
                }
            out[name] = entry
        return out


def _build(python: str, out: Path) -> dict[str, object]:
    subprocess.run([python, str(BUILDER), str(out)], check=True)
    manifest = json.loads((out / "manifest.json").read_text())
    return manifest if isinstance(manifest, dict) else {}


def _benign_corpus(d: Path) -> list[Path]:
    from tests.scanner.scan_benign import BENIGN

    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in BENIGN.values():
            try:
                paths.append(build(d))
            except ImportError:
                continue
    return paths


def _current_versions() -> dict[str, str]:
    import importlib.metadata

    out = {}
    for dist in DIST_OF_ROOT.values():
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--python", action="append", default=[], help="interpreter of a venv")
    parser.add_argument("--samples", action="append", default=[], help="already built sample dir")
    parser.add_argument("--current", action="store_true", help="also build with this interpreter")
    parser.add_argument("--corpus", action="store_true", help="also scan tests' benign corpus")
    parser.add_argument("--make-venv", nargs=2, metavar=("DIR", "REQS"), help="create a venv")
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.make_venv:
        venv, reqs = args.make_venv
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([f"{venv}/bin/pip", "install", "-q", "--only-binary=:all:", *reqs.split()],
                       check=True)  # fmt: skip
        print(f"created {venv}; now run with --python {venv}/bin/python")
        return 0
    col = Collector()
    releases: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(s) for s in args.samples]
        for i, python in enumerate(args.python + ([sys.executable] if args.current else [])):
            d = Path(tmp) / f"s{i}"
            _build(python, d)
            dirs.append(d)
        for d in dirs:
            manifest = json.loads((d / "manifest.json").read_text())
            versions = manifest.get("versions", {})
            releases.append({"python": manifest.get("python"), "versions": versions})
            for item in manifest.get("files", []):
                col.scan(d / item["file"], versions, manifest.get("python", "?"))
        if args.current or args.corpus:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            versions = _current_versions()
            python = sys.version.split()[0]
            for path in _benign_corpus(corpus):
                col.scan(path, versions, python)
    entries = col.entries()
    for name, why in CURATED.items():
        entries.setdefault(name, {"provenance": [f"curated: {why}"]})
    for name, shape in CURATED_SHAPES.items():
        why = next(
            (why for prefix, why in _SHAPE_ORIGINS.items() if name.startswith(prefix)),
            "curated: py2-era numpy",
        )
        entry = entries.setdefault(name, {"provenance": [why]})
        entry["provenance"] = sorted({*cast("list[str]", entry["provenance"]), why})
        merged = cast("dict[str, list[Any]] | None", entry.get("shape"))
        if merged is None:
            entry["shape"] = shape
            continue
        curated = cast("dict[str, list[Any]]", shape)
        arity = sorted(set(merged["arity"]) | set(curated["arity"]))
        pairs: Iterable[tuple[Any, Any]] = zip_longest(
            merged["args"], curated["args"], fillvalue=[]
        )
        entry["shape"] = {"arity": arity, "args": [sorted(set(a) | set(b)) for a, b in pairs]}
    for name, files in sorted(col.dangerous.items()):
        print(f"REVIEW denylisted name in benign files: {name} ({len(files)} files)")
    for line in sorted(set(col.review))[:50]:
        print(f"REVIEW {line}")
    current = json.loads(args.out.read_text()) if args.out.exists() else {"callables": {}}
    old, new = set(current.get("callables", {})), set(entries)
    print(f"{len(new)} entries ({len(new - old)} new, {len(old - new)} no longer produced)")
    for name in sorted(old - new):
        print(f"  dropped: {name}")
    if args.check:
        return 1 if new - old else 0
    doc = {
        "version": 2,
        "description": "Callables ordinary ML files reference, with the call shapes real "
        "libraries use. Generated by scripts/gen_allowlist.py; do not edit by hand.",
        "releases": releases,
        "callables": entries,
    }
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
