"""Validate incoming batches with Great Expectations (MLSVS M2.3.3, checked by MLC1002).

The suite is built from the reviewed declarations in monitoring/data_schema.toml (the same
source monitoring/validate_data.py reads), written to monitoring/expectations/, and run on each
batch; each result is stored, as GX writes it, under docs/security/records/gx/. GX records the
batch's pandas fingerprint, so mlsvs can tell that a stored result judged the current rows.

    python monitoring/gx_validate.py data/train.csv data/test.csv   # exit 0 required

Needs great_expectations (pip install 'great_expectations>=1.3'); run from the example's root.
"""

import json
import logging
import sys
import tomllib
from pathlib import Path

import great_expectations as gx

SCHEMA = Path("monitoring/data_schema.toml")
SUITE = Path("monitoring/expectations/credit_applicants.json")
RESULTS = Path("docs/security/records/gx")
TYPES = {"int": "int64", "float": "float64"}


def expectations(schema: dict) -> list:
    e = gx.expectations
    out = [
        e.ExpectTableColumnsToMatchOrderedList(column_list=schema["columns"]),
        e.ExpectTableRowCountToBeBetween(min_value=schema["rows"][0], max_value=schema["rows"][1]),
    ]
    for name, rule in schema["column"].items():
        out.append(e.ExpectColumnValuesToBeOfType(column=name, type_=TYPES[rule["type"]]))
        out.append(
            e.ExpectColumnValuesToNotBeNull(column=name, mostly=1.0 - schema["max_null_rate"])
        )
        if "range" in rule:
            low, high = rule["range"]
            out.append(e.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high))
        if "categories" in rule:
            out.append(e.ExpectColumnValuesToBeInSet(column=name, value_set=rule["categories"]))
        low, high = rule["mean"]
        out.append(e.ExpectColumnMeanToBeBetween(column=name, min_value=low, max_value=high))
    return out


def main(batches: list[str]) -> int:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    schema = tomllib.loads(SCHEMA.read_text())
    ctx = gx.get_context(mode="ephemeral")
    suite = ctx.suites.add(
        gx.ExpectationSuite(name="credit_applicants", meta={"schema_version": schema["version"]})
    )
    for expectation in expectations(schema):
        suite.add_expectation(expectation)
    SUITE.write_text(json.dumps(suite.to_json_dict(), indent=2) + "\n")
    source = ctx.data_sources.add_pandas_filesystem("batches", base_directory="data")
    asset = source.add_csv_asset("incoming")
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = 0
    for batch in batches:
        name = Path(batch).name
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"incoming-{name}",
                data=asset.add_batch_definition_path(name, path=name),
                suite=suite,
            )
        )
        result = definition.run(result_format="SUMMARY")
        (RESULTS / f"{Path(name).stem}.json").write_text(
            json.dumps(result.to_json_dict(), indent=2) + "\n"
        )
        print(f"{batch}: {'pass' if result.success else 'FAIL'}")
        failed += not result.success
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
