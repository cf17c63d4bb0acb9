"""PyTorch modules as model adapters (CPU, or CUDA when present and asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - conventional alias

from mlsvs.adapters.models._common import batched, log_softmax
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

    def representations(self, x: Array) -> tuple[str, Array]:
        """Penultimate-layer activations (the input of the last ``nn.Linear``), float64.

        Returns ``(layer, array)``; a module without a linear layer gives its logits.
        """
        linears = [
            (n, m) for n, m in self._module.named_modules() if isinstance(m, torch.nn.Linear)
        ]
        if not linears:
            return "logits", self.logits(x)
        name, last = linears[-1]
        seen: list[torch.Tensor] = []

        def keep(_m: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            seen.append(inputs[0].detach().reshape(inputs[0].shape[0], -1))

        def run(chunk: Array) -> Array:
            seen.clear()
            with torch.no_grad():
                self._module(self._tensor(chunk))
            return np.asarray(seen[-1].cpu().numpy(), dtype=np.float64)

        handle = last.register_forward_pre_hook(keep)
        try:
            return f"penultimate (input of {name or 'the last linear layer'})", batched(
                run, x, self._batch
            )
        finally:
            handle.remove()

    def predict_proba(self, x: Array) -> Array:
        """Softmax of the logits, computed in float64."""
        return np.exp(self.predict_log_proba(x))

    def predict_log_proba(self, x: Array) -> Array:
        """Log-softmax of the float64 logits: margins stay finite when softmax saturates."""
        return log_softmax(self.logits(x))

    def predict(self, x: Array) -> Labels:
        """Arg-max class."""
        return np.asarray(self.logits(x).argmax(axis=1), dtype=np.int64)

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient of the summed cross-entropy w.r.t. the input (same dtype as ``x``).

        The loss is taken on float64 logits so that moderately saturated softmax outputs still
        give a gradient; see ``margin_gradient`` for one that never vanishes.
        """
        return self._gradient(x, y, margin=False)

    def margin_gradient(self, x: Array, y: Labels) -> Array:
        """Gradient of the summed logit margin ``max_{j != y} z_j - z_y`` (Carlini-Wagner loss),
        which does not vanish when logits are scaled and the softmax saturates."""
        return self._gradient(x, y, margin=True)

    @property
    def has_margin_gradient(self) -> bool:
        """Always: autograd on the logits."""
        return True

    def _gradient(self, x: Array, y: Labels, *, margin: bool) -> Array:
        def run_one(xs: Array, ys: Labels) -> Array:
            xt = self._tensor(xs).requires_grad_(True)
            yt = torch.from_numpy(np.asarray(ys, dtype=np.int64)).to(self._device)
            logits = self._module(xt).double()
            if margin:
                true = logits.gather(1, yt[:, None])[:, 0]
                other = logits.scatter(1, yt[:, None], float("-inf")).max(dim=1).values
                loss = (other - true).sum()
            else:
                loss = F.cross_entropy(logits, yt, reduction="sum")
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
