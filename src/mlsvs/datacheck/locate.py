"""Find the tables and splits a command works on (files given, or a project's settings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.datacheck.table import TABULAR_FORMATS, format_of, source_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mlsvs.datacheck.settings import DataSettings
    from mlsvs.datacheck.splits import SplitSet


def find_tables(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and tabular files under directories; ``FileNotFoundError`` otherwise."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = (p for p in sorted(path.rglob("*")) if p.is_file())
            files.extend(p for p in found if format_of(p) in TABULAR_FORMATS)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(str(path))
    return files


def project_splits(
    root: Path, given: Mapping[str, Sequence[str]]
) -> tuple[DataSettings, list[SplitSet]]:
    """The project's ``[datasets]`` settings and the splits to compare: the files ``given``
    (split name -> paths), else the configured splits, else those inferred from file names."""
    from mlsvs.config import load_config
    from mlsvs.datacheck.settings import parse_settings
    from mlsvs.datacheck.splits import SplitSet, configured_splits, infer_splits
    from mlsvs.discovery import discover
    from mlsvs.model.artifact import DatasetArtifact

    config = load_config(root)
    conf = parse_settings(config.settings.get("datasets", {}))
    if given:
        splits = {n: tuple(source_for(Path(p), p) for p in v) for n, v in given.items()}
        return conf, [SplitSet(group="command line", splits=splits)]
    if conf.splits:
        return conf, [configured_splits(conf.splits, root)]
    project = discover(root, config).project
    datasets = ((a.path, a.absolute) for a in project.of_type(DatasetArtifact))
    return conf, infer_splits(datasets)
