"""Decisions about dependencies: pinned, hashed, known-vulnerable. Pure functions of parsed data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.supply.osv import Advisory

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mlsvs.supply.advisories import AdvisoryDatabase
    from mlsvs.supply.deps import Dependency, ParsedManifest


def unpinned(
    manifest: ParsedManifest, locked: Mapping[str, tuple[Dependency, ...]]
) -> tuple[Dependency, ...]:
    """Dependencies with no exact version that no lock file pins either."""
    return tuple(
        dep
        for dep in manifest.dependencies
        if not dep.pinned and not any(e.version for e in locked.get(dep.name, ()))
    )


def unhashed(
    manifest: ParsedManifest, locked: Mapping[str, tuple[Dependency, ...]]
) -> tuple[Dependency, ...]:
    """Dependencies without a content hash, unless every lock entry for them carries one."""
    out: list[Dependency] = []
    for dep in manifest.dependencies:
        if dep.hashed:
            continue
        entries = locked.get(dep.name, ())
        if manifest.kind.is_lock or not entries or not all(e.hashed for e in entries):
            out.append(dep)
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryHit:
    """One package version and the advisories that affect it."""

    name: str
    version: str
    sources: tuple[str, ...]
    """Where the version is pinned or locked (``file:line``)."""
    advisories: tuple[tuple[str, Advisory], ...]
    """``(database name, advisory)`` pairs."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Primary IDs of the advisories, sorted."""
        return tuple(sorted({a.id for _, a in self.advisories}))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditResult:
    """Everything MLC422 reports."""

    checked: int
    """Distinct ``name==version`` pairs matched."""
    hits: tuple[AdvisoryHit, ...]
    unknown_version: tuple[str, ...]
    """Third-party packages whose version no manifest pins: they cannot be checked."""
    undecidable: tuple[str, ...]
    """``name==version`` pairs whose version (or an advisory bound) is not PEP 440."""
    not_covered: tuple[str, ...] = ()
    """``name==version`` pairs with no hit whose absence no current, complete database vouches
    for (only the bundled floor, a stale snapshot, a conda package, a failed online query)."""
    stale: tuple[str, ...] = ()
    """One line per complete database too old to vouch for anything."""
    unresolved: tuple[str, ...] = ()
    """Packages whose version depends on the install environment (``${VER}``)."""

    @property
    def verified_clean(self) -> bool:
        """ "No known vulnerability" holds for every dependency: the only way to pass."""
        return not (
            self.hits
            or self.unknown_version
            or self.undecidable
            or self.not_covered
            or self.unresolved
        )


DEFAULT_MAX_AGE_DAYS = 7.0


def _parse_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            when = dt.datetime.fromisoformat(text + "T00:00:00")
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def stale_reason(db: AdvisoryDatabase, *, now: dt.datetime, max_age_days: float) -> str | None:
    """Why a complete database cannot vouch for "no known vulnerability" (None: it can)."""
    if not db.complete:
        return None
    when = _parse_time(db.date)
    if when is None:
        return f"{db.name}: data date {db.date!r} unknown"
    age = (now - when).total_seconds() / 86400
    if age > max_age_days:
        return (
            f"{db.name} data dated {when.date().isoformat()} is {age:.0f} days old "
            f"(limit {max_age_days:g})"
        )
    return None


def versions_in_use(
    deps: Iterable[Dependency],
) -> tuple[dict[tuple[str, str], list[str]], set[str]]:
    """``(name, version) -> sources`` for pinned/locked deps, and names with no version at all."""
    pinned: dict[tuple[str, str], list[str]] = {}
    versionless: set[str] = set()
    for dep in deps:
        if dep.local or dep.unresolved:
            continue
        if dep.version is None:
            versionless.add(dep.name)
            continue
        where = dep.source if dep.line is None else f"{dep.source}:{dep.line}"
        pinned.setdefault((dep.name, dep.version), []).append(where)
    known = {name for name, _ in pinned}
    return pinned, versionless - known


def audit(
    deps: Iterable[Dependency],
    databases: Iterable[AdvisoryDatabase],
    *,
    now: dt.datetime | None = None,
    max_age_days: float = DEFAULT_MAX_AGE_DAYS,
) -> AuditResult:
    """Match every pinned or locked version against every database.

    Any database can fail a package. Only a *complete* database (the OSV export, the OSV API)
    that is younger than ``max_age_days`` can say a package has no known vulnerability.
    """
    deps = tuple(deps)
    pinned, unknown = versions_in_use(deps)
    conda = {(d.name, d.version) for d in deps if d.ecosystem != "PyPI" and d.version}
    unresolved = sorted({d.name for d in deps if d.unresolved and not d.local})
    dbs = tuple(databases)
    when = now or dt.datetime.now(dt.UTC)
    stale = {
        db.name: r for db in dbs if (r := stale_reason(db, now=when, max_age_days=max_age_days))
    }
    hits: list[AdvisoryHit] = []
    undecidable: list[str] = []
    not_covered: list[str] = []
    for (name, version), sources in sorted(pinned.items()):
        found: dict[tuple[str, str], tuple[str, Advisory]] = {}
        undecided = False
        covered = False
        for db in dbs:
            matched, unsure = db.index.match(name, version)
            undecided = undecided or unsure
            for advisory in matched:
                found.setdefault((db.name, advisory.id), (db.name, advisory))
            ecosystem = "conda" if (name, version) in conda else "PyPI"
            covered = covered or (db.name not in stale and db.covers(name, version, ecosystem))
        if not found and not undecided and not covered:
            not_covered.append(f"{name}=={version}")
        if found:
            merged = _dedupe_aliases([found[k] for k in sorted(found)])
            hits.append(
                AdvisoryHit(
                    name=name,
                    version=version,
                    sources=tuple(sorted(set(sources))),
                    advisories=merged,
                )
            )
        elif undecided:
            undecidable.append(f"{name}=={version}")
    return AuditResult(
        checked=len(pinned),
        hits=tuple(hits),
        unknown_version=tuple(sorted(unknown - set(unresolved))),
        undecidable=tuple(undecidable),
        not_covered=tuple(not_covered),
        stale=tuple(stale[k] for k in sorted(stale)),
        unresolved=tuple(unresolved),
    )


def _dedupe_aliases(pairs: list[tuple[str, Advisory]]) -> tuple[tuple[str, Advisory], ...]:
    """The same vulnerability in two databases (GHSA vs PYSEC IDs) is reported once."""
    kept: list[tuple[str, Advisory]] = []
    seen: set[str] = set()
    for db, advisory in pairs:
        ids = set(advisory.ids)
        if ids & seen:
            continue
        seen |= ids
        kept.append((db, advisory))
    return tuple(kept)
