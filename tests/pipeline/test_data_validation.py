"""MLC1002: Great Expectations suites and stored results bound to each dataset file's rows.

The suites and validation results are produced by Great Expectations itself (skipped when it is
not installed); the check reads their JSON without GX.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline.data_validation import incoming_data_validated
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

if TYPE_CHECKING:
    from pathlib import Path

gx = pytest.importorskip("great_expectations")
pytestmark = pytest.mark.slow

HEADER = "age,income_k,debt_ratio,credit_lines,years_employed,employment_type,default\n"


def _rows(n: int = 120) -> str:
    kinds = ("salaried", "self-employed", "retired")
    lines = []
    for i in range(n):
        age = 22 + (i * 7) % 45
        lines.append(
            f"{age},{20 + (i * 13) % 90}.5,{(i % 9) / 10:.2f},{i % 11},{min(age - 18, i % 25)},"
            f"{kinds[i % 3]},{i % 2}"
        )
    return HEADER + "\n".join(lines) + "\n"


def _expectations(full: bool = True) -> list[object]:
    e = gx.expectations
    out = [
        e.ExpectTableColumnsToMatchOrderedList(column_list=HEADER.strip().split(",")),
        e.ExpectColumnValuesToBeBetween(column="age", min_value=18, max_value=100),
        e.ExpectColumnValuesToBeBetween(column="debt_ratio", min_value=0, max_value=1.5),
        e.ExpectColumnValuesToNotBeNull(column="income_k"),
        e.ExpectColumnValuesToBeInSet(
            column="employment_type", value_set=["salaried", "self-employed", "retired"]
        ),
        e.ExpectColumnValuesToBeInSet(column="default", value_set=[0, 1]),
    ]
    if full:
        out.append(e.ExpectColumnMeanToBeBetween(column="age", min_value=30, max_value=60))
    return out


def _validate(
    root: Path, data: str, *, full: bool = True, out: str = "validation/train.json"
) -> None:
    """Run GX on ``data/train.csv`` and store the suite and the result as GX writes them."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    source = ctx.data_sources.add_pandas_filesystem("batches", base_directory=str(root / "data"))
    batch = source.add_csv_asset("incoming").add_batch_definition_path("train", path=data)
    suite = ctx.suites.add(gx.ExpectationSuite(name="credit_applicants"))
    for expectation in _expectations(full):
        suite.add_expectation(expectation)
    definition = ctx.validation_definitions.add(
        gx.ValidationDefinition(name="incoming", data=batch, suite=suite)
    )
    result = definition.run(result_format="SUMMARY")
    (root / "validation").mkdir(exist_ok=True)
    (root / "validation/suite.json").write_text(json.dumps(suite.to_json_dict(), indent=2))
    (root / out).write_text(json.dumps(result.to_json_dict(), indent=2))


def _outcomes(root: Path) -> dict[str, Status]:
    project = write(root, {})
    return {o.key: o.status for o in run(incoming_data_validated, project)}


def test_full_suite_with_current_passing_result_passes(tmp_path) -> None:
    write(tmp_path, {"data/train.csv": _rows()})
    _validate(tmp_path, "train.csv")
    assert _outcomes(tmp_path) == {
        "suite:credit_applicants": Status.PASS,
        "data/train.csv": Status.PASS,
    }


def test_rows_changed_after_validation_fail(tmp_path) -> None:
    write(tmp_path, {"data/train.csv": _rows()})
    _validate(tmp_path, "train.csv")
    # A batch appended after the stored result: the result is for other rows.
    write(tmp_path, {"data/train.csv": _rows() + "41,55.0,0.30,3,12,salaried,1\n"})
    project = write(tmp_path, {})
    outcome = next(o for o in run(incoming_data_validated, project) if o.key == "data/train.csv")
    assert outcome.status is Status.FAIL
    assert "for other rows" in outcome.message


def test_batch_that_failed_validation_fails(tmp_path) -> None:
    bad = _rows().replace("\n22,", "\n22,", 1).rstrip("\n") + "\n140,55.0,0.30,3,12,unknown,2\n"
    write(tmp_path, {"data/train.csv": bad})
    _validate(tmp_path, "train.csv")
    project = write(tmp_path, {})
    outcome = next(o for o in run(incoming_data_validated, project) if o.key == "data/train.csv")
    assert outcome.status is Status.FAIL
    assert "expect_column_values_to_be_between(age)" in outcome.message
    assert "expect_column_values_to_be_in_set(default)" in outcome.message


def test_suite_without_distribution_bounds_and_older_suite_fail(tmp_path) -> None:
    write(tmp_path, {"data/train.csv": _rows()})
    _validate(tmp_path, "train.csv", full=False)
    assert _outcomes(tmp_path)["suite:credit_applicants"] is Status.FAIL
    # The suite gains the distribution bound, but the stored result ran the older suite.
    result = (tmp_path / "validation/train.json").read_text()
    _validate(tmp_path, "train.csv", out="validation/ignored.json")
    (tmp_path / "validation/ignored.json").unlink()
    (tmp_path / "validation/train.json").write_text(result)
    found = _outcomes(tmp_path)
    assert found == {"suite:credit_applicants": Status.PASS, "data/train.csv": Status.FAIL}


def test_no_suite_and_unparsable_json_are_not_verified(tmp_path) -> None:
    project = write(tmp_path, {"data/train.csv": _rows()})
    assert [o.status for o in run(incoming_data_validated, project)] == [Status.ABSTAINED]
    _validate(tmp_path, "train.csv")
    project = write(tmp_path, {"validation/broken.json": '{"expectations": [ {"type": '})
    outcomes = run(incoming_data_validated, project)
    assert outcomes[0].status is Status.NOT_VERIFIED and outcomes[0].key == "unread"
