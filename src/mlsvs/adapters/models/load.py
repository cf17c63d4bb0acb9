"""Build a model adapter from the user's declaration (runs inside the model worker process).

Models come from a user-named factory (``package.module:function`` importable from the project
root, or ``path/to/file.py:function`` inside it) or from a file the user explicitly trusts:
ONNX, a scikit-learn model saved with skops (``.skops``: loaded without pickle; every type
skops does not trust by default must be reviewed and listed in ``model.trusted_types``), or
safetensors / torch weights (``weights_only=True``) loaded into the factory's module.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsvs.adapters.models.errors import InputShapeError, ModelLoadError, ModelTestError
from mlsvs.adapters.models.spec import HttpSettings, InputSpec
from mlsvs.model.coverage import Gap, GapReason

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlsvs.adapters.models.spec import ModelAdapter


@enum.unique
class ModelKind(enum.StrEnum):
    """Which adapter serves the model."""

    AUTO = "auto"
    SKLEARN = "sklearn"
    TORCH = "torch"
    ONNX = "onnx"
    CALLABLE = "callable"
    HTTP = "http"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSource:
    """Where the model under test comes from (picklable: it crosses the process boundary)."""

    kind: ModelKind
    root: str
    spec: InputSpec
    n_classes: int
    factory: str | None = None
    trusted_model: str | None = None
    device: str = "auto"
    http: HttpSettings | None = None
    trusted_types: tuple[str, ...] = ()
    """Types the user reviewed and trusts in a ``.skops`` file (beyond skops' defaults)."""
    threads: int = 1
    """CPU threads for the framework inside the worker (0: the framework's default). Attacks
    send many small batches; one thread avoids OpenMP spin-waiting on shared CPUs (measured:
    3.5x less CPU for ``mlsvs test robustness`` on a small CNN at load 13 on 2 cores)."""


def resolve(root: str, ref: str) -> Callable[..., Any]:
    """Import ``module:function`` (or ``file.py:function``) relative to the project root."""
    mod_name, sep, fn_name = ref.partition(":")
    if not sep or not mod_name or not fn_name:
        raise ModelLoadError(f"factory {ref!r} must look like 'package.module:function'")
    base = Path(root).resolve()
    try:
        if mod_name.endswith(".py"):
            path = (base / mod_name).resolve()
            if not path.is_relative_to(base) or not path.is_file():
                raise ModelLoadError(f"factory file {mod_name} is not a file inside the project")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                raise ModelLoadError(f"cannot import {mod_name}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            if str(base) not in sys.path:
                sys.path.insert(0, str(base))
            module = importlib.import_module(mod_name)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code may raise anything on import
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelLoadError(f"cannot import {mod_name}: {type(exc).__name__}: {first}") from None
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise ModelLoadError(f"{ref!r}: {fn_name} is not a function in {mod_name}")
    return fn  # type: ignore[no-any-return]


def wrap(obj: object, spec: InputSpec, n_classes: int, *, device: str = "auto") -> ModelAdapter:
    """Pick the adapter for what a factory returned."""
    from mlsvs.adapters.models.spec import ModelAdapter

    if isinstance(obj, ModelAdapter):
        return obj
    if "torch" in sys.modules:
        import torch

        if isinstance(obj, torch.nn.Module):
            from mlsvs.adapters.models.torch import TorchModel

            return TorchModel(obj, spec, n_classes, device=device)
    if hasattr(obj, "predict") and hasattr(obj, "fit"):
        from mlsvs.adapters.models.sklearn import SklearnModel

        return SklearnModel(obj, spec)
    if callable(obj):
        from mlsvs.adapters.models.callable import CallableModel

        return CallableModel(obj, spec, n_classes)
    raise ModelLoadError(f"factory returned a {type(obj).__name__}, which is not a model")


def build(source: ModelSource) -> ModelAdapter:
    """Load or build the model, then probe it once with a valid input (fail closed)."""
    if source.threads > 0 and source.kind is not ModelKind.HTTP:
        _limit_threads(source.threads)
    adapter = _build(source)
    probe(adapter)
    return adapter


def _build(source: ModelSource) -> ModelAdapter:
    kind = source.kind
    if kind is ModelKind.HTTP:
        if source.http is None:
            raise ModelLoadError("model kind 'http' needs a url")
        from mlsvs.adapters.models.http import HttpModel

        return HttpModel(source.http, source.spec, source.n_classes)
    path = _trusted_path(source)
    if kind is ModelKind.ONNX or (kind is ModelKind.AUTO and path and path.endswith(".onnx")):
        if path is None:
            raise ModelLoadError("model kind 'onnx' needs trusted_model = 'path/to/model.onnx'")
        from mlsvs.adapters.models.onnxrt import OnnxModel

        return OnnxModel(path, source.spec, source.n_classes)
    if kind in (ModelKind.SKLEARN, ModelKind.AUTO) and path and path.endswith(".skops"):
        from mlsvs.adapters.models.sklearn import SklearnModel

        return SklearnModel(load_skops(path, source.trusted_types), source.spec)
    if source.factory is None:
        raise ModelLoadError("declare model.factory = 'package.module:function'")
    obj = resolve(source.root, source.factory)()
    if path is not None:
        from mlsvs.adapters.models.torch import load_weights

        try:
            obj = load_weights(obj, path)
        except Exception as exc:  # noqa: BLE001 - torch/safetensors raise many types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelLoadError(
                f"cannot load weights {source.trusted_model}: {type(exc).__name__}: {first}"
            ) from None
    adapter = wrap(obj, source.spec, source.n_classes, device=source.device)
    expected = _ADAPTER_FOR.get(kind)
    if expected is not None and type(adapter).__name__ != expected:
        raise ModelLoadError(
            f"model kind {kind.value!r} declared, but the factory returned a "
            f"{type(obj).__name__} (served as {type(adapter).__name__})"
        )
    return adapter


_ADAPTER_FOR = {
    ModelKind.SKLEARN: "SklearnModel",
    ModelKind.TORCH: "TorchModel",
    ModelKind.CALLABLE: "CallableModel",
}


def _limit_threads(n: int) -> None:
    """Cap intra-op threads of torch (when installed) and of OpenMP/BLAS pools started later."""
    import os

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))  # read by torch / BLAS when they initialise
    if "torch" in sys.modules:  # already initialised: set it directly
        import torch

        torch.set_num_threads(n)


def _trusted_path(source: ModelSource) -> str | None:
    if source.trusted_model is None:
        return None
    base = Path(source.root).resolve()
    path = (base / source.trusted_model).resolve()
    if not path.is_relative_to(base):
        raise ModelLoadError(f"trusted_model {source.trusted_model} is outside the project")
    if not path.is_file():
        missing = Gap(
            item=str(source.trusted_model), reason=GapReason.NOT_PRESENT, detail="no such file"
        )
        raise ModelLoadError(f"trusted_model {source.trusted_model} does not exist", gap=missing)
    allowed = (".onnx", ".skops", ".safetensors", ".pt", ".pth")
    if not path.name.endswith(allowed):
        raise ModelLoadError(
            f"trusted_model must be ONNX, skops, safetensors or torch weights, got {path.name} "
            "(pickle/joblib files are never loaded: save scikit-learn models with skops.io.dump "
            "or convert them with skl2onnx)"
        )
    return str(path)


def load_skops(path: str, trusted: tuple[str, ...]) -> Any:  # noqa: ANN401 - an estimator
    """Load a ``.skops`` file without pickle, after checking every type it would construct.

    Types outside skops' default trusted set must each be listed in ``trusted`` (the user's
    review); any other one refuses the load and names what to review.
    """
    try:
        import skops.io as sio
    except ImportError:
        raise ModelLoadError("loading .skops models needs skops (pip install skops)") from None
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - skops raises several types on a bad file
        raise ModelLoadError(f"not a readable skops file: {type(exc).__name__}: {exc}") from None
    unreviewed = sorted(set(untrusted) - set(trusted))
    if unreviewed:
        raise ModelLoadError(
            f"the skops file would construct types nobody reviewed: {', '.join(unreviewed)}; "
            "review them and list them in model_tests.model.trusted_types"
        )
    try:
        return sio.load(path, trusted=sorted(set(untrusted)))
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"cannot load skops model: {type(exc).__name__}: {exc}") from None


def probe(adapter: ModelAdapter) -> None:
    """Call the model on one in-bounds input; a shape mismatch becomes ``InputShapeError``."""
    import numpy as np

    spec = adapter.input_spec
    lo = np.broadcast_to(np.asarray(spec.lower, dtype=np.float64), (spec.n_features,))
    hi = np.broadcast_to(np.asarray(spec.upper, dtype=np.float64), (spec.n_features,))
    x = ((lo + hi) / 2).reshape((1, *spec.shape)).astype(spec.dtype)
    try:
        out = adapter.predict_proba(x)
    except ModelTestError:
        raise
    except Exception as exc:  # noqa: BLE001 - frameworks raise anything on a bad shape
        raise InputShapeError(
            f"the model rejected an input of shape {list(spec.shape)}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    if out.shape != (1, adapter.n_classes):
        raise InputShapeError(
            f"the model returned shape {list(out.shape)}, expected [1, {adapter.n_classes}] "
            "(check n_classes and the input shape)"
        )
