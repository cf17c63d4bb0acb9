"""Schema and distribution validation of a data batch before it is admitted to training (M2.3.3).

    python monitoring/validate_data.py data/train.csv [data/test.csv ...] [--schema FILE]

Checks every file against ``monitoring/data_schema.toml``: exact column list, batch size, types,
value ranges, null rate, category sets, duplicate rate, per-column mean bounds and the declared
cross-column relation. Prints one JSON result per file that names the file's SHA-256 (the dataset
version pinned in SHA256SUMS) and the schema version, so the stored result is bound to the data
it judged. Exit status: 0 all files pass, 1 a file fails, 2 usage or read error.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _value(text: str, kind: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    if kind == "int":
        if not text.lstrip("-").isdigit():
            raise ValueError(f"{text!r} is not an integer")
        return float(int(text))
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not finite")
    return number


def validate(path: Path, schema: dict) -> dict[str, object]:
    failures: list[str] = []
    raw = path.read_bytes()
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    if header != schema["columns"]:
        failures.append(f"columns {header} != declared {schema['columns']}")
        body = []
    low, high = schema["rows"]
    if not low <= len(body) <= high:
        failures.append(f"{len(body)} rows outside [{low}, {high}]")
    stats: dict[str, dict[str, float]] = {}
    parsed: list[dict[str, float | None]] = []
    for number, row in enumerate(body, 2):
        if len(row) != len(header):
            failures.append(f"line {number}: {len(row)} cells, expected {len(header)}")
            continue
        record: dict[str, float | None] = {}
        for name, cell in zip(header, row, strict=True):
            try:
                record[name] = _value(cell, schema["column"][name]["type"])
            except ValueError as exc:
                failures.append(f"line {number}: {name}: {exc}")
                record[name] = None
        parsed.append(record)
    for name, rule in schema["column"].items():
        values = [r[name] for r in parsed if r.get(name) is not None]
        nulls = 1 - len(values) / len(parsed) if parsed else 0.0
        if nulls > schema["max_null_rate"]:
            failures.append(f"{name}: null rate {nulls:.3f} > {schema['max_null_rate']}")
        if not values:
            continue
        if "range" in rule:
            bad = [v for v in values if not rule["range"][0] <= v <= rule["range"][1]]
            if bad:
                failures.append(f"{name}: {len(bad)} value(s) outside {rule['range']}")
        if "categories" in rule:
            bad = sorted({v for v in values if v not in rule["categories"]})
            if bad:
                failures.append(f"{name}: unexpected categories {bad[:5]}")
        mean = sum(values) / len(values)
        if "mean" in rule and not rule["mean"][0] <= mean <= rule["mean"][1]:
            failures.append(f"{name}: mean {mean:.4f} outside {rule['mean']}")
        stats[name] = {
            "min": min(values),
            "max": max(values),
            "mean": round(mean, 4),
            "null_rate": round(nulls, 4),
        }
    duplicates = len(body) - len({tuple(r) for r in body})
    if body and duplicates / len(body) > schema["max_duplicate_rate"]:
        failures.append(f"{duplicates} duplicate rows")
    for relation in schema.get("relation", []):
        if relation["rule"] == "years_employed <= age - 18":
            bad = sum(
                1
                for r in parsed
                if None not in (r.get("years_employed"), r.get("age"))
                and r["years_employed"] > r["age"] - 18
            )  # type: ignore[operator]
            if bad:
                failures.append(f"{bad} row(s) break {relation['rule']}")
        else:
            failures.append(f"unknown relation {relation['rule']!r}")
    return {
        "file": path.as_posix(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "schema_version": schema["version"],
        "validated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": len(body),
        "duplicates": duplicates,
        "columns": stats,
        "result": "fail" if failures else "pass",
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--schema", type=Path, default=HERE / "data_schema.toml")
    args = parser.parse_args(argv)
    try:
        schema = tomllib.loads(args.schema.read_text(encoding="utf-8"))
        results = [validate(path, schema) for path in args.files]
    except (OSError, UnicodeDecodeError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"validate_data.py: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2))
    return 1 if any(r["result"] == "fail" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
