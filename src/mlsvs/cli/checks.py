"""``mlsvs checks list|explain``: the automated checks and what they verify."""

from __future__ import annotations

import fnmatch
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``list`` and ``explain``."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    lister = sub.add_parser("list", help="list registered checks")
    lister.add_argument(
        "--requirement",
        metavar="GLOB",
        help="only checks mapped to matching requirement IDs (e.g. 'M4.*')",
    )
    lister.add_argument("--json", action="store_true", help="machine-readable output")
    explain = sub.add_parser("explain", help="everything about one check")
    explain.add_argument("check_id", metavar="ID")


def run(args: argparse.Namespace) -> int:
    """List or explain."""
    from mlsvs.api import load_catalog
    from mlsvs.engine.registry import load_registry
    from mlsvs.errors import UsageError

    standard = load_catalog()
    registry = load_registry(standard)
    if args.action == "explain":
        try:
            loaded = registry.get(args.check_id.upper())
        except KeyError:
            raise UsageError(f"unknown check {args.check_id!r} (see 'mlsvs checks list')") from None
        check = loaded.check
        print(f"{check.id}  {check.title}")
        print(f"name:         {check.name}")
        print(f"severity:     {check.severity}")
        print(f"applies to:   {check.applies_to.__name__}")
        for rid in check.requirements:
            req = standard.requirements[rid]
            print(f"requirement:  {req.cite(standard.version)} (L{int(req.level)}) {req.title}")
        if check.capabilities:
            print(f"needs:        --allow {','.join(sorted(c.value for c in check.capabilities))}")
        if check.requires:
            print(f"modules:      {', '.join(check.requires)}")
        print(f"isolation:    {check.isolation}   timeout: {check.timeout_s:g} s")
        print(f"source:       {loaded.source}")
        print()
        print(check.doc)
        if check.remediation:
            print()
            print(f"Remediation: {check.remediation}")
        return 0
    rows = [c.check for c in registry.checks]
    if args.requirement:
        rows = [
            c for c in rows if any(fnmatch.fnmatchcase(r, args.requirement) for r in c.requirements)
        ]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "title": c.title,
                        "requirements": list(c.requirements),
                        "severity": c.severity.value,
                        "applies_to": c.applies_to.__name__,
                        "capabilities": sorted(x.value for x in c.capabilities),
                        "description": c.description,
                    }
                    for c in rows
                ],
                indent=2,
            )
        )
        return 0
    for c in rows:
        print(f"{c.id}  {c.severity.value:<8} {', '.join(c.requirements):<18} {c.title}")
    for problem in registry.problems:
        print(f"warning: {problem.message}")
    return 0
