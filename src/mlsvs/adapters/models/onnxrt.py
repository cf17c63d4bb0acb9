"""ONNX Runtime sessions as model adapters (black-box: no gradient)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime as ort

from mlsvs.adapters.models._common import (
    batched,
    log_of_probabilities,
    log_softmax,
    looks_like_probabilities,
    one_hot,
    softmax,
)
from mlsvs.adapters.models.errors import ModelLoadError, ModelTestError
from mlsvs.adapters.models.spec import OutputKind

if TYPE_CHECKING:
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


class OnnxModel:
    """An ONNX classifier; picks the probability output (skl2onnx) or the single logits output."""

    def __init__(
        self, path: str, spec: InputSpec, n_classes: int, *, batch_size: int = 1024
    ) -> None:
        try:
            self._sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ORT raises several unrelated types
            name = path.replace("\\", "/").rsplit("/", 1)[-1]
            raise ModelLoadError(f"cannot load ONNX model {name}: {exc}") from None
        inputs = self._sess.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(f"ONNX model has {len(inputs)} inputs; exactly 1 is supported")
        self._input = inputs[0].name
        outputs = [o.name for o in self._sess.get_outputs()]
        prob = [o for o in outputs if "prob" in o.lower()]
        self._output = prob[0] if prob else outputs[-1]
        self._spec = spec
        self._n_classes = n_classes
        self._batch = batch_size

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        return self._spec

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return self._n_classes

    @property
    def output_kind(self) -> OutputKind:
        """Scores (labels-only graphs are turned into one-hot rows)."""
        return OutputKind.PROBABILITIES

    @property
    def has_gradient(self) -> bool:
        """ONNX Runtime gives no input gradient."""
        return False

    def _run(self, x: Array, *, log: bool = False) -> Array:
        self._spec.check(x)
        feed = np.ascontiguousarray(x, dtype=np.dtype(self._spec.dtype))
        try:
            (raw,) = self._sess.run([self._output], {self._input: feed})
        except Exception as exc:  # noqa: BLE001
            raise ModelTestError(f"ONNX Runtime rejected the input: {exc}") from None
        scores, logits = _scores(raw, self._n_classes)
        if log:
            return log_softmax(scores) if logits else log_of_probabilities(scores)
        return softmax(scores) if logits else scores

    def predict_proba(self, x: Array) -> Array:
        """Probabilities (softmax applied when the graph returns logits)."""
        return batched(self._run, x, self._batch)

    def predict_log_proba(self, x: Array) -> Array:
        """Log-probabilities in float64 (log-softmax of logits when the graph returns them)."""
        return batched(lambda chunk: self._run(chunk, log=True), x, self._batch)

    def predict(self, x: Array) -> Labels:
        """Arg-max class."""
        return np.asarray(self.predict_proba(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Not available for ONNX Runtime."""
        raise ModelTestError("the ONNX Runtime adapter has no gradient; use a black-box attack")


def _scores(raw: Any, n_classes: int) -> tuple[Array, bool]:  # noqa: ANN401 - ORT output
    """Scores as float64 and whether they are logits."""
    if isinstance(raw, list):  # skl2onnx ZipMap: one {class: prob} dict per row
        return np.array([[row[k] for k in sorted(row)] for row in raw], dtype=np.float64), False
    arr = np.asarray(raw)
    if arr.ndim == 1:
        return one_hot(arr.astype(np.int64), n_classes), False
    scores = arr.astype(np.float64)
    return scores, not looks_like_probabilities(scores)
