"""Remote TF SavedModels: a prefix holding ``saved_model.pb`` is one object, as on disk.

``mlsvs scan`` treats a SavedModel directory as one target (its graph is what runs; the
variables are tensor data). Object stores and the Hub list the directory's files one by one, so
they are folded back into one item whose fingerprint covers every file of the directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

from mlsvs.fleet.items import SourceKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.fleet.items import Item

_PB = "saved_model.pb"


def fold_saved_models(items: Sequence[Item]) -> list[Item]:
    """Replace the files of each remote SavedModel directory by one item for the directory."""
    roots = sorted(
        {i.uri[: -len(_PB)] for i in items if i.kind is not SourceKind.LOCAL and _is_pb(i.uri)},
        key=len,
    )
    outer: list[str] = []
    for root in roots:  # a SavedModel inside another one belongs to the outer directory
        if not any(root.startswith(o) for o in outer):
            outer.append(root)
    if not outer:
        return list(items)
    members: dict[str, list[Item]] = {root: [] for root in outer}
    out: list[Item] = []
    for item in items:
        owner = next((r for r in outer if item.uri.startswith(r)), None)
        if owner is None or item.kind is SourceKind.LOCAL:
            out.append(item)
            continue
        if not members[owner]:  # the directory takes the place of its first listed file
            out.append(item)
        members[owner].append(item)
    folded = []
    for item in out:
        owner = next((r for r in outer if item.uri.startswith(r)), None)
        keep = owner is None or item.kind is SourceKind.LOCAL
        folded.append(item if keep or owner is None else _folded(owner, members[owner]))
    return folded


def _is_pb(uri: str) -> bool:
    return uri.endswith("/" + _PB)


def _folded(root: str, files_in: list[Item]) -> Item:
    files = sorted(files_in, key=lambda i: i.uri)
    graph = next(i for i in files if i.uri == root + _PB)
    tree = hashlib.sha256()
    for f in files:
        tree.update(f"{f.uri[len(root) :]}\0{f.size}\0{f.fingerprint}\0".encode())
    return dataclasses.replace(
        graph,
        uri=root.rstrip("/"),
        size=sum(f.size for f in files),
        fingerprint=f"tree:{tree.hexdigest()}",
        locator=(*graph.locator, ("saved_model", "1"), ("graph_size", str(graph.size))),
    )
