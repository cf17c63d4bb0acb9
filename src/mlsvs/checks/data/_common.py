"""Helpers shared by the data checks: settings, tabular datasets, splits and training files."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from mlsvs.datacheck.errors import DataError, DataFileError
from mlsvs.datacheck.settings import DataSettings, parse_settings
from mlsvs.datacheck.splits import SplitSet, configured_splits, infer_splits
from mlsvs.datacheck.table import TABULAR_FORMATS, TableSource
from mlsvs.plugin import (
    DatasetArtifact,
    Gap,
    GapReason,
    Outcome,
    abstained,
    errored,
    not_verified,
)

if TYPE_CHECKING:
    from mlsvs.plugin import CheckContext, Outcome, Project

LABEL_NAMES = ("label", "labels", "target", "class", "y", "outcome")


def settings(ctx: CheckContext) -> DataSettings:
    """The validated ``[datasets]`` section (``DataSettingsError`` when invalid)."""
    return parse_settings(ctx.section("datasets"))


def tabular(project: Project) -> list[TableSource]:
    """Every discovered dataset in a tabular format, in path order."""
    return [
        TableSource(path=a.absolute, display=a.path, format=a.format)
        for a in project.of_type(DatasetArtifact)
        if a.format in TABULAR_FORMATS
    ]


def split_sets(project: Project, conf: DataSettings) -> list[SplitSet]:
    """The configured split set, or the ones inferred from file names."""
    if conf.splits:
        return [configured_splits(conf.splits, project.root)]
    return infer_splits((a.path, a.absolute) for a in project.of_type(DatasetArtifact))


def matches(path: str, patterns: tuple[str, ...]) -> bool:
    """True when ``path`` matches one of the globs (no globs: everything matches)."""
    return not patterns or any(fnmatch.fnmatchcase(path, p) for p in patterns)


def label_column(header: tuple[str, ...], conf: DataSettings) -> str | None:
    """The declared label column, or a conventionally named one."""
    if conf.label_column:
        return conf.label_column
    lowered = {h.lower(): h for h in header}
    return next((lowered[n] for n in LABEL_NAMES if n in lowered), None)


def training_files(project: Project, conf: DataSettings) -> list[TableSource]:
    """Training split files: configured, inferred, or the only tabular dataset."""
    for split_set in split_sets(project, conf):
        if "train" in split_set.splits:
            return list(split_set.splits["train"])
    files = tabular(project)
    return files if len(files) == 1 else []


NO_TRAIN = "not verified: no training split found; declare [datasets] splits = {train = '...'}"


def training_setup(
    ctx: CheckContext, project: Project
) -> tuple[DataSettings, list[TableSource]] | Outcome:
    """The data settings and the training files, or the outcome saying why there are none."""
    try:
        conf = settings(ctx)
        train = training_files(project, conf)
    except DataError as exc:
        return errored(exc.message)
    if not train:
        return abstained("no dataset files") if not project.artifacts else errored(NO_TRAIN)
    return conf, train


def test_files(project: Project, conf: DataSettings) -> list[TableSource]:
    """Held-out split files (test, else validation) of the first split set that has train."""
    for split_set in split_sets(project, conf):
        if "train" in split_set.splits:
            for name in ("test", "valid"):
                if name in split_set.splits:
                    return list(split_set.splits[name])
    return []


def shown(items: list[str], limit: int = 10) -> str:
    """A comma-separated list, truncated with a count."""
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def uncovered(exc: DataError, item: str, *, key: str = "", prefix: str = "") -> Outcome:
    """A data problem as an outcome: the input is the obstacle (not verified, the gap named);
    an invalid ``[datasets]`` section is the check's own problem (error)."""
    if not isinstance(exc, DataFileError):
        return errored(f"{prefix}{exc.message}", key=key)
    text = exc.message.lower()
    if "cannot open" in text:
        reason = GapReason.UNREADABLE
    elif any(
        w in text for w in ("malformed", "ragged", "utf-8", "corrupt", "invalid json", "empty")
    ):
        reason = GapReason.UNPARSEABLE
    else:
        reason = GapReason.UNSUPPORTED
    return not_verified(f"{prefix}{exc.message}", Gap(item=item, reason=reason, detail=exc.message),
                        key=key)  # fmt: skip
