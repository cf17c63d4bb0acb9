"""PyTorch modules as model adapters (CPU, or CUDA when present and asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - conventional alias

from mlsvs.adapters.models._common import batched
from mlsvs.adapters.models.spec import OutputKind

if TYPE_CHECKING:
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]


def pick_device(device: str) -> torch.device:
    """``auto`` picks CUDA when available, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchModel:
    """A classifier ``nn.Module`` returning logits; gradients w.r.t. the input only."""

    def __init__(
        self,
        module: torch.nn.Module,
        spec: InputSpec,
        n_classes: int,
        *,
        device: str = "auto",
        batch_size: int = 512,
    ) -> None:
        self._device = pick_device(device)
        self._module = module.to(self._device).eval()
        for p in self._module.parameters():
            p.requires_grad_(False)
        self._spec = spec
        self._dtype = np.dtype(spec.dtype)
        self._n_classes = n_classes
        self._batch = batch_size

    @property
    def input_spec(self) -> InputSpec:
        """Per-sample input description."""
        return self._spec

    @property
    def n_classes(self) -> int:
        """Number of classes (logit dimension)."""
        return self._n_classes

    @property
    def output_kind(self) -> OutputKind:
        """Softmax scores."""
        return OutputKind.PROBABILITIES

    @property
    def has_gradient(self) -> bool:
        """Always: autograd w.r.t. the input."""
        return True

    def _tensor(self, x: Array) -> torch.Tensor:
        self._spec.check(x)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=self._dtype)).to(self._device)

    def logits(self, x: Array) -> Array:
        """Raw logits as float64."""

        def run(chunk: Array) -> Array:
            with torch.no_grad():
                out = self._module(self._tensor(chunk))
            return np.asarray(out.detach().cpu().numpy(), dtype=np.float64)

        return batched(run, x, self._batch)

    def predict_proba(self, x: Array) -> Array:
        """Softmax of the logits."""

        def run(chunk: Array) -> Array:
            with torch.no_grad():
                out = torch.softmax(self._module(self._tensor(chunk)), dim=1)
            return np.asarray(out.cpu().numpy(), dtype=np.float64)

        return batched(run, x, self._batch)

    def predict(self, x: Array) -> Labels:
        """Arg-max class."""
        return np.asarray(self.logits(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient of the summed cross-entropy w.r.t. the input (same dtype as ``x``)."""

        def run_one(xs: Array, ys: Labels) -> Array:
            xt = self._tensor(xs).requires_grad_(True)
            yt = torch.from_numpy(np.asarray(ys, dtype=np.int64)).to(self._device)
            loss = F.cross_entropy(self._module(xt), yt, reduction="sum")
            (grad,) = torch.autograd.grad(loss, xt)
            return np.asarray(grad.cpu().numpy(), dtype=x.dtype)

        if x.shape[0] <= self._batch:
            return run_one(x, y)
        parts = [
            run_one(x[i : i + self._batch], y[i : i + self._batch])
            for i in range(0, x.shape[0], self._batch)
        ]
        return np.concatenate(parts, axis=0)


def load_weights(module: torch.nn.Module, path: str) -> torch.nn.Module:
    """Load a state dict from safetensors or a torch file with ``weights_only=True``."""
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        state = load_file(path)
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)  # noqa: TID251
    module.load_state_dict(state)
    return module
