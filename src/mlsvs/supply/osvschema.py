"""Structural validation of OSV records (OSV schema 1.x, https://ossf.github.io/osv-schema/).

Checks the fields matching depends on, strictly: a record that fails is not used, and the
packages it names are reported as not covered instead of silently losing an advisory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

_RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER", "GIT"})
_EVENTS = frozenset({"introduced", "fixed", "last_affected", "limit"})


def _timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _range_problems(rng: object, where: str) -> list[str]:
    if not isinstance(rng, Mapping):
        return [f"{where}: not an object"]
    problems = []
    if rng.get("type") not in _RANGE_TYPES:
        problems.append(f"{where}: type {rng.get('type')!r} is not ECOSYSTEM, SEMVER or GIT")
    events = rng.get("events")
    if not isinstance(events, list) or not events:
        return [*problems, f"{where}: 'events' must be a non-empty list"]
    introduced = False
    for number, event in enumerate(events):
        if not isinstance(event, Mapping) or len(event) != 1:
            problems.append(f"{where}.events[{number}]: must hold exactly one event")
            continue
        ((kind, value),) = event.items()
        if kind not in _EVENTS or not isinstance(value, str) or not value:
            problems.append(f"{where}.events[{number}]: unknown event {kind!r}")
        introduced = introduced or kind == "introduced"
    if not introduced:
        problems.append(f"{where}: no 'introduced' event")
    return problems


def record_problems(obj: object) -> list[str]:
    """Every way ``obj`` violates the OSV schema fields that matching relies on (empty: valid)."""
    if not isinstance(obj, Mapping):
        return ["record is not a JSON object"]
    problems: list[str] = []
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        problems.append("'id' must be a non-empty string")
    if not _timestamp(obj.get("modified")):
        problems.append("'modified' must be an RFC 3339 timestamp")
    problems.extend(
        f"'{key}' must be an RFC 3339 timestamp"
        for key in ("published", "withdrawn")
        if key in obj and not _timestamp(obj[key])
    )
    problems.extend(
        f"'{key}' must be a list of strings"
        for key in ("aliases", "related")
        if key in obj and obj[key] is not None and not _strings(obj[key])
    )
    problems.extend(
        f"'{key}' must be a string"
        for key in ("summary", "details", "schema_version")
        if key in obj and not isinstance(obj[key], str)
    )
    affected = obj.get("affected", [])
    if affected is None:
        affected = []
    if not isinstance(affected, list):
        return [*problems, "'affected' must be a list"]
    for number, entry in enumerate(affected):
        where = f"affected[{number}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: not an object")
            continue
        package = entry.get("package")
        if package is not None and (
            not isinstance(package, Mapping)
            or not isinstance(package.get("ecosystem"), str)
            or not isinstance(package.get("name"), str)
        ):
            problems.append(f"{where}.package: needs string 'ecosystem' and 'name'")
        versions = entry.get("versions")
        if versions is not None and not _strings(versions):
            problems.append(f"{where}.versions: must be a list of strings")
        ranges = entry.get("ranges")
        if ranges is not None:
            if not isinstance(ranges, list):
                problems.append(f"{where}.ranges: must be a list")
            else:
                for index, rng in enumerate(ranges):
                    problems.extend(_range_problems(rng, f"{where}.ranges[{index}]"))
    return problems


def package_names(obj: object, ecosystem: str = "PyPI") -> tuple[str, ...]:
    """Best-effort names of the ``ecosystem`` packages an (invalid) record talks about."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("affected"), list):
        return ()
    names = []
    for entry in obj["affected"]:
        package = entry.get("package") if isinstance(entry, Mapping) else None
        if (
            isinstance(package, Mapping)
            and str(package.get("ecosystem", "")).split(":")[0] == ecosystem
            and isinstance(package.get("name"), str)
        ):
            names.append(package["name"])
    return tuple(names)
