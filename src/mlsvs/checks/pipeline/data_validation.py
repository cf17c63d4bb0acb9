"""Incoming data validated against a schema and distribution suite (MLC1002, M2.3.3).

The suite and its stored results are read in Great Expectations' own JSON formats: an
expectation suite (``expectations``, each with ``type`` — ``expectation_type`` before 1.0 —
and ``kwargs``) and a validation result (``success``, ``results``, ``statistics``, ``suite_name``
or ``meta.expectation_suite_name``, ``meta.batch_spec.path`` and
``meta.batch_markers.pandas_data_fingerprint``). GX writes that fingerprint for every pandas
batch: the MD5 of ``pandas.util.hash_pandas_object(frame, index=True)``. mlsvs recomputes it
from each dataset file of the project (read as GX's pandas reader reads it), so a stored result
is bound to the exact rows it judged.

Pass: a suite covers types (or the exact column list), ranges, null rates, category sets and a
distribution bound, and every dataset file has a successful result of that suite, for its
current rows, that evaluated every expectation the suite now has. A dataset file without a
result for its current rows, a failed result, or a suite missing one of the five kinds fails.
Suites kept in other tools (pandera, TFDV, Deequ) are not read: without a GX suite the check
says not verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, items, read_json
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

KINDS: dict[str, frozenset[str]] = {
    "types": frozenset(
        {
            "expect_column_values_to_be_of_type",
            "expect_column_values_to_be_in_type_list",
            "expect_table_columns_to_match_ordered_list",
            "expect_table_columns_to_match_set",
        }
    ),
    "ranges": frozenset(
        {
            "expect_column_values_to_be_between",
            "expect_column_min_to_be_between",
            "expect_column_max_to_be_between",
        }
    ),
    "null rates": frozenset(
        {
            "expect_column_values_to_not_be_null",
            "expect_column_proportion_of_non_null_values_to_be_between",
        }
    ),
    "category sets": frozenset(
        {
            "expect_column_values_to_be_in_set",
            "expect_column_distinct_values_to_be_in_set",
            "expect_column_distinct_values_to_equal_set",
        }
    ),
    "distribution bounds": frozenset(
        {
            "expect_column_mean_to_be_between",
            "expect_column_median_to_be_between",
            "expect_column_stdev_to_be_between",
            "expect_column_quantile_values_to_be_between",
            "expect_column_kl_divergence_to_be_less_than",
            "expect_column_proportion_of_unique_values_to_be_between",
            "expect_column_sum_to_be_between",
        }
    ),
}
_READERS = {"csv": "read_csv", "tsv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Suite:
    """A GX expectation suite: its name and (type, column) of every expectation."""

    path: str
    name: str
    expectations: frozenset[tuple[str, str]]

    def missing(self) -> list[str]:
        """The kinds of the standard's suite this one has no expectation of."""
        types = {t for t, _ in self.expectations}
        return [kind for kind, names in KINDS.items() if not types & names]


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """A GX validation result."""

    path: str
    suite: str
    success: bool
    batch_path: str
    fingerprint: str
    evaluated: frozenset[tuple[str, str]]
    failures: tuple[str, ...]


def _expectation(entry: object) -> tuple[str, str] | None:
    if not isinstance(entry, dict):
        return None
    kind = entry.get("type") or entry.get("expectation_type")
    kwargs = entry.get("kwargs")
    if not isinstance(kind, str) or not isinstance(kwargs, dict):
        return None
    return kind, str(kwargs.get("column", kwargs.get("column_list", "")))


def read_suite(data: Mapping[str, object], path: str) -> Suite | None:
    """A suite when ``data`` is one (None otherwise)."""
    expectations = data.get("expectations")
    name = data.get("name") or data.get("expectation_suite_name")
    if not isinstance(expectations, list) or not isinstance(name, str) or "results" in data:
        return None
    parsed = [_expectation(e) for e in expectations]
    if not parsed or any(p is None for p in parsed):
        return None
    return Suite(path=path, name=name, expectations=frozenset(p for p in parsed if p))


def read_result(data: Mapping[str, object], path: str) -> Result | None:
    """A validation result when ``data`` is one (None otherwise)."""
    results, meta = data.get("results"), data.get("meta")
    if not isinstance(results, list) or not isinstance(meta, dict) or "statistics" not in data:
        return None
    suite = data.get("suite_name") or meta.get("expectation_suite_name")
    spec = meta.get("batch_spec") if isinstance(meta.get("batch_spec"), dict) else {}
    markers = meta.get("batch_markers") if isinstance(meta.get("batch_markers"), dict) else {}
    evaluated: set[tuple[str, str]] = set()
    failures: list[str] = []
    for entry in results:
        if not isinstance(entry, dict):
            return None
        found = _expectation(entry.get("expectation_config"))
        if found is None:
            return None
        evaluated.add(found)
        if entry.get("success") is not True:
            failures.append(f"{found[0]}({found[1]})" if found[1] else found[0])
    return Result(
        path=path,
        suite=str(suite or ""),
        success=data.get("success") is True and not failures,
        batch_path=str(spec.get("path", "")) if isinstance(spec, dict) else "",
        fingerprint=str(markers.get("pandas_data_fingerprint", ""))
        if isinstance(markers, dict)
        else "",
        evaluated=frozenset(evaluated),
        failures=tuple(failures),
    )


def fingerprint(dataset: DatasetArtifact) -> str:
    """GX's ``pandas_data_fingerprint`` of a dataset file (read with pandas' defaults)."""
    import hashlib

    import pandas as pd

    reader = _READERS.get(dataset.format)
    if reader is None:
        raise DocumentError(f"{dataset.path}: {dataset.format} batches are not read")
    kwargs: dict[str, object] = {"sep": "\t"} if dataset.format == "tsv" else {}
    if dataset.format == "jsonl":
        kwargs = {"lines": True}
    try:
        frame = getattr(pd, reader)(dataset.absolute, **kwargs)
        values = pd.util.hash_pandas_object(frame, index=True).values
    except Exception as exc:  # noqa: BLE001 - pandas' parser errors vary; all mean unreadable
        raise DocumentError(f"{dataset.path}: cannot be read ({type(exc).__name__})") from None
    return hashlib.md5(values, usedforsecurity=False).hexdigest()


def _gx_documents(project: Project) -> tuple[list[Suite], list[Result], list[Gap]]:
    suites: list[Suite] = []
    results: list[Result] = []
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        if not doc.path.endswith(".json"):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        for entry in items(data) if isinstance(data, list) else [data]:
            if not isinstance(entry, dict):
                continue
            if "expectations" in entry and (suite := read_suite(entry, doc.path)):
                suites.append(suite)
            elif "results" in entry and "statistics" in entry:
                result = read_result(entry, doc.path)
                if result is None:
                    gaps.append(
                        Gap(
                            item=doc.path,
                            reason=GapReason.UNPARSEABLE,
                            detail="a GX validation result with entries not read",
                        )
                    )
                else:
                    results.append(result)
            elif "expectations" in entry:
                gaps.append(
                    Gap(
                        item=doc.path,
                        reason=GapReason.UNPARSEABLE,
                        detail="an expectation suite with expectations not read",
                    )
                )
    return suites, results, gaps


def _same_file(batch_path: str, rel: str) -> bool:
    """A result's batch path (absolute on the machine that ran GX) names ``rel``."""
    parts, wanted = PurePosixPath(batch_path.replace("\\", "/")).parts, PurePosixPath(rel).parts
    return bool(parts) and parts[-len(wanted) :] == wanted


@check(
    id="MLC1002",
    title="Each dataset file has a passing GX result of a full schema and distribution suite "
    "for its rows",
    requirements=["M2.3.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=("pandas",),
    reads=(Document, DatasetArtifact),
    remediation="Keep a GX expectation suite with types, ranges, non-null, value-set and "
    "mean/quantile expectations; run it on every batch before it is admitted and commit the "
    "validation result (its JSON) next to the dataset version.",
)
def incoming_data_validated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each dataset file's current rows passed a complete Great Expectations suite.

    GX suites and validation results in the project, bound to each dataset file by the pandas
    fingerprint GX records.
    """
    suites, results, gaps = _gx_documents(project)
    datasets = list(project.of_type(DatasetArtifact))
    if gaps:
        yield not_verified(
            "JSON files that may be GX suites or results could not be read", gaps, key="unread"
        )
    if not suites:
        yield abstained(
            "no Great Expectations expectation suite in the project, so no schema and "
            "distribution validation of incoming data is shown (suites of other tools are "
            "not read)",
            key="no-suite",
        )
        return
    by_name = {s.name: s for s in suites}
    for suite in suites:
        missing = suite.missing()
        if missing:
            yield failed(
                f"{suite.path}: suite {suite.name} has no {', '.join(missing)} expectation",
                key=f"suite:{suite.name}",
            )
        else:
            yield passed(
                f"{suite.path}: suite {suite.name} covers "
                f"{', '.join(KINDS)} ({len(suite.expectations)} expectations)",
                key=f"suite:{suite.name}",
            )
    if not datasets:
        yield abstained(
            "no dataset file in the project: the validated batches cannot be matched to results",
            key="no-data",
        )
        return
    for dataset in sorted(datasets, key=lambda d: d.path):
        try:
            digest = fingerprint(dataset)
        except DocumentError as exc:
            yield not_verified(
                str(exc),
                Gap(item=dataset.path, reason=GapReason.UNREADABLE, detail=str(exc)),
                key=dataset.path,
            )
            continue
        facts = (("pandas_data_fingerprint", digest),)
        named = [r for r in results if _same_file(r.batch_path, dataset.path)]
        current = [r for r in named if r.fingerprint == digest]
        if not current:
            stale = f" ({len(named)} result(s) for other rows of it)" if named else ""
            yield failed(
                f"{dataset.path}: no stored validation result for its current rows{stale}",
                key=dataset.path,
                facts=facts,
            )
            continue
        verdicts = []
        for result in current:
            found = by_name.get(result.suite)
            if found is None:
                verdicts.append(
                    (False, f"{result.path} is for suite {result.suite!r}, not in the project")
                )
            elif not result.success:
                verdicts.append(
                    (
                        False,
                        f"{result.path}: suite {found.name} failed "
                        f"({', '.join(result.failures[:5]) or 'success false'})",
                    )
                )
            elif not found.expectations <= result.evaluated:
                verdicts.append(
                    (
                        False,
                        f"{result.path}: evaluated an older version of suite "
                        f"{found.name} ({len(found.expectations - result.evaluated)}"
                        " expectation(s) not run)",
                    )
                )
            else:
                verdicts.append((True, f"{result.path}: suite {found.name} passed"))
        bad = [text for ok, text in verdicts if not ok]
        if bad:
            yield failed(f"{dataset.path}: " + "; ".join(bad), key=dataset.path, facts=facts)
        else:
            yield passed(
                f"{dataset.path}: " + "; ".join(t for _, t in verdicts),
                key=dataset.path,
                facts=facts,
            )
