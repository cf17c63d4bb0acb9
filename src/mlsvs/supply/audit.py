"""Decisions about dependencies: pinned, hashed, known-vulnerable. Pure functions of parsed data."""

from __future__ import annotations

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
class Hit:
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
    hits: tuple[Hit, ...]
    unknown_version: tuple[str, ...]
    """Third-party packages whose version no manifest pins: they cannot be checked."""
    undecidable: tuple[str, ...]
    """``name==version`` pairs whose version (or an advisory bound) is not PEP 440."""


def versions_in_use(
    deps: Iterable[Dependency],
) -> tuple[dict[tuple[str, str], list[str]], set[str]]:
    """``(name, version) -> sources`` for pinned/locked deps, and names with no version at all."""
    pinned: dict[tuple[str, str], list[str]] = {}
    versionless: set[str] = set()
    for dep in deps:
        if dep.local:
            continue
        if dep.version is None:
            versionless.add(dep.name)
            continue
        where = dep.source if dep.line is None else f"{dep.source}:{dep.line}"
        pinned.setdefault((dep.name, dep.version), []).append(where)
    known = {name for name, _ in pinned}
    return pinned, versionless - known


def audit(deps: Iterable[Dependency], databases: Iterable[AdvisoryDatabase]) -> AuditResult:
    """Match every pinned or locked version against every database."""
    pinned, unknown = versions_in_use(deps)
    dbs = tuple(databases)
    hits: list[Hit] = []
    undecidable: list[str] = []
    for (name, version), sources in sorted(pinned.items()):
        found: dict[tuple[str, str], tuple[str, Advisory]] = {}
        undecided = False
        for db in dbs:
            matched, unsure = db.index.match(name, version)
            undecided = undecided or unsure
            for advisory in matched:
                found.setdefault((db.name, advisory.id), (db.name, advisory))
        if found:
            merged = _dedupe_aliases([found[k] for k in sorted(found)])
            hits.append(
                Hit(
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
        unknown_version=tuple(sorted(unknown)),
        undecidable=tuple(undecidable),
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
