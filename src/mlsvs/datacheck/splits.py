"""Which files form the train / validation / test splits.

Configured: ``[datasets] splits = {train = "data/train.csv", test = ["data/test-0.csv", ...]}``.
Inferred: files in the same directory whose names carry a split word (``train``/``training``;
``valid``/``val``/``validation``/``dev``; ``test``/``testing``/``holdout``) and otherwise the
same name, shard numbers ignored (``train-00000-of-00002.parquet`` and ``test.parquet`` pair up).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataSettingsError
from mlsvs.datacheck.table import TABULAR_FORMATS, TableSource, format_of

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

ORDER = ("train", "valid", "test")
_WORDS = {
    "train": "train",
    "training": "train",
    "trn": "train",
    "valid": "valid",
    "val": "valid",
    "validation": "valid",
    "dev": "valid",
    "test": "test",
    "testing": "test",
    "tst": "test",
    "holdout": "test",
}
_TOKEN = re.compile(r"[A-Za-z]+|\d+")


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitSet:
    """One group of splits: split name -> files, in ``ORDER``."""

    group: str
    """The common name (``data/*.csv``) or ``configured``."""
    splits: Mapping[str, tuple[TableSource, ...]]

    def pairs(self) -> list[tuple[str, str]]:
        """(earlier, later) split pairs to compare: train/valid, train/test, valid/test."""
        names = [n for n in ORDER if n in self.splits]
        names += sorted(n for n in self.splits if n not in ORDER)
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]


def split_of(path: str) -> tuple[str, str] | None:
    """(split name, group key) for a file name carrying a split word, else None."""
    pure = PurePosixPath(path)
    stem = pure.name[: -len("".join(pure.suffixes))] if pure.suffixes else pure.name
    tokens = _TOKEN.findall(stem.lower())
    hits = [t for t in tokens if t in _WORDS]
    if len(hits) != 1:
        return None
    rest = [t for t in tokens if t not in _WORDS and not t.isdigit() and t != "of"]
    key = f"{pure.parent.as_posix()}/{'-'.join(rest)}*{''.join(pure.suffixes).lower()}"
    return _WORDS[hits[0]], key


def infer_splits(datasets: Iterable[tuple[str, Path]]) -> list[SplitSet]:
    """Group tabular files into split sets by name; only groups with two or more splits."""
    groups: dict[str, dict[str, list[TableSource]]] = {}
    for display, path in sorted(datasets):
        fmt = format_of(display)
        found = split_of(display)
        if fmt not in TABULAR_FORMATS or found is None:
            continue
        name, key = found
        source = TableSource(path=path, display=display, format=fmt)
        groups.setdefault(key, {}).setdefault(name, []).append(source)
    return [
        SplitSet(group=key, splits={n: tuple(v) for n, v in splits.items()})
        for key, splits in sorted(groups.items())
        if len(splits) >= 2
    ]


def configured_splits(splits: Mapping[str, tuple[str, ...]], root: Path) -> SplitSet:
    """The ``[datasets] splits`` table as a ``SplitSet``; paths must stay inside ``root``."""
    resolved = root.resolve()
    out: dict[str, tuple[TableSource, ...]] = {}
    for name, paths in splits.items():
        sources: list[TableSource] = []
        for display in paths:
            path = (resolved / display).resolve()
            fmt = format_of(display)
            if not path.is_relative_to(resolved):
                raise DataSettingsError(
                    f"[datasets] splits.{name}: {display} is outside the project"
                )
            if fmt not in TABULAR_FORMATS:
                raise DataSettingsError(f"[datasets] splits.{name}: {display} is not tabular")
            sources.append(TableSource(path=path, display=display, format=fmt))
        canonical = _WORDS.get(name.lower(), name)
        out[canonical] = out.get(canonical, ()) + tuple(sources)
    if len(out) < 2:
        raise DataSettingsError("[datasets] splits needs at least two splits (train and test)")
    ordered = {n: out[n] for n in ORDER if n in out} | {
        n: out[n] for n in sorted(out) if n not in ORDER
    }
    return SplitSet(group="configured", splits=ordered)
