"""Match the pinned server stack against PyPI's advisory data (OSV-sourced); MLSVS M5.4.1, M9.2.2.

    python monitoring/advisories.py requirements.txt --out docs/security/records/advisories.json

For every ``name==version`` pin it asks PyPI's JSON API for the advisories affecting that
release (``/pypi/NAME/VERSION/json``, or the project document when the pin is the newest
release) and writes one JSON record: query time, source, each package with its advisories and
whether the pin is the newest release. Exit 1 when any advisory matches (the scheduled job then
opens one tracker issue per match), 2 when the data could not be fetched (never "clean").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)\s*(?:#.*)?$")
API = "https://pypi.org/pypi"


def _get(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def check(name: str, version: str) -> dict[str, object]:
    """Advisories for one pinned release, from the release or the project document."""
    project = _get(f"{API}/{name}/json")
    if project is None:
        raise RuntimeError(f"{name}: not found on PyPI")
    latest = str(project["info"]["version"])  # type: ignore[index]
    document = project if latest == version else _get(f"{API}/{name}/{version}/json")
    if document is None:
        raise RuntimeError(f"{name}=={version}: release document unavailable")
    advisories = [
        {"id": v.get("id"), "aliases": v.get("aliases", []), "fixed_in": v.get("fixed_in", [])}
        for v in document.get("vulnerabilities", [])  # type: ignore[union-attr]
    ]
    return {"name": name, "version": version, "latest": latest, "advisories": advisories}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    pins = [
        m.groups()
        for line in args.requirements.read_text().splitlines()
        if (m := PIN.match(line.strip()))
    ]
    try:
        packages = [check(name, version) for name, version in pins]
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"advisories: could not verify: {exc}", file=sys.stderr)
        return 2
    record = {
        "queried_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": "PyPI JSON API vulnerabilities (OSV-sourced)",
        "requirements": str(args.requirements),
        "packages": packages,
        "matches": sum(len(p["advisories"]) for p in packages),  # type: ignore[arg-type]
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"{len(packages)} pins checked, {record['matches']} advisory match(es) -> {args.out}")
    return 1 if record["matches"] else 0


if __name__ == "__main__":
    sys.exit(main())
