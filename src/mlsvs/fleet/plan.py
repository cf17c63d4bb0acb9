"""Packing items into tasks by the bytes a scan will read, not by file count (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.fleet.items import Item

_ZIP_LIKE = (".pt", ".pth", ".ckpt", ".keras", ".npz", ".skops", ".mar", ".zip")
_HEADER_ONLY = (".safetensors", ".gguf", ".npy", ".h5", ".hdf5")
_DIRECTORY_COST = 1 << 20
"""Estimate for a zip checkpoint: its directory, local headers and pickles."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizing:
    """Task limits."""

    task_bytes: int = 256 << 20
    """Estimated bytes a task reads (a multi-GB pickle is a task of its own)."""
    task_files: int = 256
    """Files per task at most (bounds the cost of a retried task)."""


def read_estimate(item: Item) -> int:
    """Bytes a scan of ``item`` is expected to read.

    Zip checkpoints cost their directory and pickles (tensor members are never read); header
    formats cost their header; everything else (pickles, ONNX, unknown) its whole size. Only
    scheduling depends on it: the scanner reads what it must whatever the estimate says.
    """
    name = item.uri.lower()
    if name.endswith(_ZIP_LIKE):
        return min(item.size, _DIRECTORY_COST + item.size // 1000)
    if name.endswith(_HEADER_ONLY):
        return min(item.size, _DIRECTORY_COST)
    return item.size


def pack(items: Sequence[Item], sizing: Sizing) -> list[list[int]]:
    """Indices of ``items`` grouped into tasks; large reads first (they bound the makespan)."""
    order = sorted(range(len(items)), key=lambda i: (-read_estimate(items[i]), items[i].uri))
    tasks: list[list[int]] = []
    current: list[int] = []
    load = 0
    for index in order:
        cost = max(1, read_estimate(items[index]))
        if current and (load + cost > sizing.task_bytes or len(current) >= sizing.task_files):
            tasks.append(current)
            current, load = [], 0
        current.append(index)
        load += cost
    if current:
        tasks.append(current)
    return tasks
