"""Validate an ops.py log against monitoring/inference-log.schema.json (MLSVS M10.1.1).

    python monitoring/check_log.py LOGFILE [LOGFILE ...]    # needs: pip install jsonschema

Every line must be a JSON object that validates against the declared schema, and no field of an
inference record may be empty. Prints a count per file and event; exit 1 on any invalid line.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import jsonschema

SCHEMA = Path(__file__).resolve().parent / "inference-log.schema.json"


def check(path: Path, validator: jsonschema.protocols.Validator) -> tuple[Counter[str], list[str]]:
    events: Counter[str] = Counter()
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(f"{path}:{number}: not JSON")
            continue
        events[str(record.get("event"))] += 1
        problems += [f"{path}:{number}: {e.message}" for e in validator.iter_errors(record)]
        if record.get("event") == "inference":
            empty = [k for k, v in record.items() if v in ("", None, [], {})]
            problems += [f"{path}:{number}: empty field {k}" for k in empty]
    return events, problems


def main(argv: list[str]) -> int:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    failed = False
    for name in argv:
        events, problems = check(Path(name), validator)
        print(f"{name}: {sum(events.values())} records {dict(events)}, {len(problems)} invalid")
        for problem in problems[:20]:
            print("  " + problem)
        failed = failed or bool(problems)
    return 1 if failed or not argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
