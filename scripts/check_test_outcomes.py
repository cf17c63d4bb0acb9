"""Which checks the test suite makes fail *and* pass (Done-when of issue 19).

For every check mapped to an L1 or L2 requirement whose method is a-static, a-runtime or
hybrid (the requirements docs/checks/coverage.md counts), say whether at least one test saw
it return ``fail`` and at least one saw it return ``pass``. The outcomes come from running the
tests with the collector plugin, not from reading test names:

    rm -f /tmp/outcomes.json
    for d in tests/platform tests/pipeline tests/operations tests/supply tests/datacheck \\
             tests/codescan tests/scanner tests/probes tests/llm tests/modeltest tests/engine; do
        python -m pytest $d -q -p no:cacheprovider -p tests.outcome_collector \\
            --check-outcomes=/tmp/outcomes.json
    done
    python scripts/check_test_outcomes.py /tmp/outcomes.json [--only-gaps] [--strict]

``--strict`` exits 1 when a listed check lacks a failing or a passing test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

AUTOMATED = {"a-static", "a-runtime", "hybrid"}
LEVELS = {"L1", "L2"}
NEVER_PASS = {
    "MLC423": "a pip-audit/osv-scanner report has no database date: it can fail a package, "
    "never vouch for none (MLC422 decides the pass)",
    "MLC836": "a pinned driver is at best not verified: driver advisories and firmware "
    "versions are not in the data mlsvs reads",
    "MLC953": "enforced token limits are at best not verified: agent-iteration and spend "
    "limits stay a named gap",
}
"""Checks that by design never return ``pass``; a failing test is all they can have."""


def rows(seen: dict[str, dict[str, list[str]]]) -> list[tuple[str, str, str, bool, bool]]:
    """(check, level, requirements, fails seen, passes seen) per check in scope."""
    from mlsvs.api import load_catalog
    from mlsvs.engine.registry import load_registry

    standard = load_catalog(None)
    registry = load_registry(standard)
    out = []
    for loaded in registry.checks:
        check = loaded.check
        reqs = [
            standard.requirements[r]
            for r in check.requirements
            if r in standard.requirements
            and standard.requirements[r].level.name in LEVELS
            and standard.requirements[r].verification.value in AUTOMATED
        ]
        if not reqs:
            continue
        statuses = seen.get(check.id, {})
        level = min(r.level.name for r in reqs)
        out.append(
            (
                check.id,
                level,
                ", ".join(r.id for r in reqs),
                bool(statuses.get("fail")),
                bool(statuses.get("pass")),
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outcomes", type=Path, help="JSON written by tests/outcome_collector.py")
    parser.add_argument("--only-gaps", action="store_true", help="list only checks lacking one")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any check lacks one")
    args = parser.parse_args(argv)
    seen = json.loads(args.outcomes.read_text())
    table = rows(seen)
    print("| Check | Level | Requirements | fails in a test | passes in a test | why not |")
    print("|---|---|---|---|---|---|")
    for check, level, reqs, fail, ok in table:
        if args.only_gaps and fail and ok:
            continue
        marks = ["yes" if seen_it else "**no**" for seen_it in (fail, ok)]
        why = NEVER_PASS.get(check, "") if not ok else ""
        print(f"| {check} | {level} | {reqs} | {marks[0]} | {marks[1]} | {why} |")
    both = sum(1 for *_, fail, ok in table if fail and ok)
    by_design = sum(1 for c, _, _, fail, ok in table if fail and not ok and c in NEVER_PASS)
    for level in sorted(LEVELS):
        mine = [r for r in table if r[1] == level]
        done = sum(1 for *_, fail, ok in mine if fail and ok)
        print(f"\n{level}: {done} of {len(mine)} checks fail and pass in the tests", end="")
    print(f"\nall: {both} of {len(table)} ({by_design} more never pass by design, see why not)")
    return 1 if args.strict and both + by_design < len(table) else 0


if __name__ == "__main__":
    sys.exit(main())
