"""Split hygiene (MLSVS M2.4): disjoint splits, no entity or temporal leakage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.data._common import settings, shown, split_sets, uncovered
from mlsvs.datacheck.errors import DataError
from mlsvs.datacheck.leakage import entity_leakage, time_leakage
from mlsvs.datacheck.overlap import OverlapParams, find_overlap
from mlsvs.plugin import (
    DatasetArtifact,
    Measurement,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.datacheck.settings import DataSettings
    from mlsvs.datacheck.splits import SplitSet
    from mlsvs.plugin import CheckContext, Outcome

NO_SPLITS = (
    "not verified: cannot tell which files are the train/validation/test splits; declare "
    "[datasets] splits = {train = '...', test = '...'}"
)


def _splits(ctx: CheckContext, project: Project) -> tuple[DataSettings, list[SplitSet]] | Outcome:
    if not project.of_type(DatasetArtifact):
        return abstained("no dataset files in the project")
    try:
        conf = settings(ctx)
        sets = split_sets(project, conf)
    except DataError as exc:
        return errored(exc.message)
    if not sets:
        return errored(NO_SPLITS)
    return conf, sets


@check(
    id="MLC210",
    title="Train, validation and test splits share no exact or near-duplicate rows",
    requirements=["M2.4.1"],
    applies_to=Project,
    reads=(DatasetArtifact,),
    severity=Severity.HIGH,
    remediation="Deduplicate across splits before splitting (after normalising whitespace, "
    "case and number formats) and split by entity where rows repeat.",
)
def splits_disjoint(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Hash-based exact and near-duplicate overlap between every pair of splits."""
    found = _splits(ctx, project)
    if not isinstance(found, tuple):
        yield found
        return
    conf, sets = found
    params = OverlapParams(
        near=conf.near_duplicates,
        near_digits=conf.near_digits,
        minhash_threshold=conf.minhash_threshold,
        permutations=conf.minhash_permutations,
        bands=conf.minhash_bands,
        shingle=conf.shingle_size,
        exclude=frozenset(c for c in (conf.key_column, conf.time_column) if c),
    )
    for split_set in sets:
        for earlier, later in split_set.pairs():
            key = f"{split_set.group}:{earlier}/{later}"
            try:
                result = find_overlap(
                    split_set.splits[earlier],
                    split_set.splits[later],
                    params,
                    names=(earlier, later),
                )
            except DataError as exc:
                yield uncovered(exc, key, key=key)
                continue
            rate = result.leaked / result.rows_later if result.rows_later else 0.0
            facts = (
                ("columns", ",".join(result.columns)),
                ("text_columns", ",".join(result.text_columns)),
                ("exact", str(result.exact)),
                ("near", str(result.near)),
                ("rows_" + later, str(result.rows_later)),
                ("rows_" + earlier, str(result.rows_earlier)),
                ("near_digits", str(params.near_digits)),
            )
            measurement = Measurement(
                name="split_overlap_rate",
                value=rate,
                threshold=0.0,
                parameters=facts,
            )
            files = ", ".join(s.display for s in split_set.splits[later])
            if result.leaked:
                yield failed(
                    f"{result.leaked} of {result.rows_later} {later} row(s) ({files}) also occur "
                    f"in {earlier}: {result.exact} exact, {result.near} near duplicate(s); e.g. "
                    f"{'; '.join(result.examples[:5])}",
                    key=key,
                    facts=(*facts, ("examples", " | ".join(result.examples))),
                    measurements=(measurement,),
                )
            else:
                yield passed(
                    f"no {later} row ({files}) occurs in {earlier} ({result.rows_later} vs "
                    f"{result.rows_earlier} rows on {len(result.columns)} shared column(s))",
                    key=key,
                    facts=facts,
                    measurements=(measurement,),
                )


@check(
    id="MLC211",
    title="No entity or temporal leakage between splits for the declared key/time column",
    requirements=["M2.4.2"],
    applies_to=Project,
    reads=(DatasetArtifact,),
    severity=Severity.HIGH,
    remediation="Split by entity (group split on the key column) and in time order "
    "(train strictly before validation/test).",
)
def no_entity_or_time_leakage(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Test entities present in train; train rows dated after the first test row."""
    raw = ctx.section("datasets")
    if not raw.get("key_column") and not raw.get("time_column"):
        yield abstained("no [datasets] key_column or time_column declared")
        return
    found = _splits(ctx, project)
    if not isinstance(found, tuple):
        yield found
        return
    conf, sets = found
    for split_set in sets:
        for earlier, later in split_set.pairs():
            a, b = split_set.splits[earlier], split_set.splits[later]
            if conf.key_column:
                key = f"{split_set.group}:{earlier}/{later}:entity"
                try:
                    leak = entity_leakage(a, b, conf.key_column)
                except DataError as exc:
                    yield uncovered(exc, key, key=key)
                else:
                    facts = (("column", leak.column), ("entities", str(leak.entities_later)))
                    if leak.leaked:
                        yield failed(
                            f"{leak.leaked} of {leak.entities_later} {later} entities "
                            f"({leak.column}) also appear in {earlier}; e.g. rows "
                            f"{shown(list(leak.examples), 5)}",
                            key=key,
                            facts=(*facts, ("leaked", str(leak.leaked))),
                        )
                    else:
                        yield passed(
                            f"no {later} entity ({leak.column}) appears in {earlier}",
                            key=key,
                            facts=facts,
                        )
            if conf.time_column:
                key = f"{split_set.group}:{earlier}/{later}:time"
                try:
                    when = time_leakage(a, b, conf.time_column)
                except DataError as exc:
                    yield uncovered(exc, key, key=key)
                    continue
                time_facts = (
                    ("column", when.column),
                    (f"{later}_start", when.later_start),
                    (f"{earlier}_end", when.earlier_end),
                )
                if when.leaked_rows:
                    yield failed(
                        f"{when.leaked_rows} of {when.rows_earlier} {earlier} row(s) are dated "
                        f"after the first {later} row ({when.later_start}); {earlier} ends "
                        f"{when.earlier_end}; e.g. {shown(list(when.examples), 5)}",
                        key=key,
                        facts=(*time_facts, ("leaked", str(when.leaked_rows))),
                    )
                else:
                    yield passed(
                        f"{earlier} ends ({when.earlier_end}) before {later} starts "
                        f"({when.later_start})",
                        key=key,
                        facts=time_facts,
                    )
