"""Dependency checks: exact pins (M3.2.1), hashes (M3.2.2), known vulnerabilities (M3.2.3)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)
from mlsvs.supply.errors import AdvisoryError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from mlsvs.plugin import CheckContext, Facts, Outcome
    from mlsvs.supply.advisories import AdvisoryDatabase, AdvisorySettings
    from mlsvs.supply.audit import AuditResult
    from mlsvs.supply.deps import Dependency, ParsedManifest
    from mlsvs.supply.manifests import ManifestSet


def _names(deps: tuple[Dependency, ...], limit: int = 12) -> str:
    names = sorted({d.name for d in deps})
    return ", ".join(names[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )


def _parse(project: Project) -> tuple[ManifestSet, list[Outcome]]:
    from mlsvs.supply.manifests import parse_project

    manifests = parse_project(project)
    errors = [
        not_verified(
            f"{message}: its dependencies are not verified",
            Gap(item=path, reason=GapReason.UNPARSEABLE, detail=message[:300]),
            key=path,
            facts=(("file", path),),
        )
        for path, message in manifests.errors
    ]
    return manifests, errors


def _problem_gaps(manifest: ParsedManifest) -> list[Gap]:
    """Entries of a manifest that could not be read, and versions it cannot tell."""
    gaps = [
        Gap(item=f"{p}:{line}" if line else p, reason=GapReason.UNPARSEABLE, detail=m[:300])
        for p, line, m in manifest.problems
    ]
    gaps += [
        Gap(item=d.name, reason=GapReason.UNSUPPORTED, detail=d.unresolved)
        for d in manifest.unresolved
    ]
    return gaps


def _per_manifest(
    project: Project,
    rule: Callable[[ParsedManifest, Mapping[str, tuple[Dependency, ...]]], tuple[Dependency, ...]],
    what: str,
) -> Iterator[Outcome]:
    manifests, errors = _parse(project)
    yield from errors
    if not manifests.manifests and not errors:
        yield failed(
            "no dependency manifest or lock file found (requirements, pyproject, lock, conda)"
        )
        return
    locked = manifests.locked()
    for manifest in manifests.manifests:
        bad = rule(manifest, locked)
        facts: Facts = (("file", manifest.path), ("kind", manifest.kind.value))
        if bad:
            yield failed(
                f"{manifest.path}: {len({d.name for d in bad})} dependenc(ies) {what}: "
                f"{_names(bad)}",
                key=manifest.path,
                facts=(*facts, ("packages", ",".join(sorted({d.name for d in bad})))),
            )
        if manifest.problems or manifest.unresolved:
            unread = [
                f"{p}:{line}: {m}" if line else f"{p}: {m}" for p, line, m in manifest.problems
            ]
            unread += [f"{d.name}: {d.unresolved}" for d in manifest.unresolved]
            yield errored(
                f"{manifest.path}: not verified: {len(unread)} entr(ies) cannot be assessed: "
                + "; ".join(unread[:5]),
                key=f"{manifest.path}:unread",
                facts=(*facts, ("uncovered", str(len(unread)))),
            )
        elif not bad:
            count = len(manifest.dependencies)
            yield passed(
                f"{manifest.path}: all {count} dependenc(ies) pass", key=manifest.path, facts=facts
            )


@check(
    id="MLC420",
    title="Dependencies are pinned to exact versions (a lock file counts)",
    requirements=["M3.2.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    remediation="Pin with '==' in requirements files or commit a lock file (uv.lock, "
    "poetry.lock, pylock.toml); VCS dependencies must name a full commit.",
)
def dependencies_pinned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each manifest's dependencies have one exact version, directly or through a lock file."""
    from mlsvs.supply.audit import unpinned

    yield from _per_manifest(project, unpinned, "without an exact version")


@check(
    id="MLC421",
    title="Dependencies are pinned with hashes",
    requirements=["M3.2.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    remediation="Use 'pip-compile --generate-hashes', 'uv pip compile --generate-hashes', "
    "or a lock file that records artifact hashes (uv.lock, poetry.lock, pylock.toml).",
)
def dependencies_hashed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each dependency carries a distribution hash (or an immutable commit), directly or locked."""
    from mlsvs.supply.audit import unhashed

    yield from _per_manifest(project, unhashed, "without a hash")


def _databases(settings: AdvisorySettings, manifests: ManifestSet) -> tuple[AdvisoryDatabase, ...]:
    from mlsvs.supply.advisories import cache_dir, load_databases

    return load_databases(
        osv=settings.osv,
        cache=cache_dir() if settings.use_cache else None,
        packages=frozenset(d.name for d in manifests.dependencies),
    )


MAX_AGE_PARAMETER = "M3.2.3.max_advisory_age_days"


def _max_age(ctx: CheckContext, settings: AdvisorySettings) -> float:
    """The standard's limit for the target level; a project's ``max_age_days`` may only
    tighten it (a profile, not the project under assessment, relaxes a standard)."""
    limit: object = ctx.parameter(MAX_AGE_PARAMETER, 7)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        limit = 7
    if settings.max_age_configured:
        return min(float(limit), settings.max_age_days)
    return float(limit)


def _problem_outcomes(manifests: ManifestSet) -> Iterator[Outcome]:
    """One "not verified" outcome per file with entries that could not be read."""
    by_file: dict[str, list[Gap]] = {}
    for path, line, message in manifests.problems:
        by_file.setdefault(path, []).append(
            Gap(
                item=f"{path}:{line}" if line else path,
                reason=GapReason.UNPARSEABLE,
                detail=message[:300],
            )
        )
    for path, gaps in sorted(by_file.items()):
        yield not_verified(
            f"{path}: {len(gaps)} entr(ies) could not be read, so they are not verified: "
            + "; ".join(g.describe() for g in gaps[:5]),
            gaps,
            key=f"problems:{path}",
            facts=(("file", path),),
        )


def _coverage_outcome(result: AuditResult, db_facts: Facts) -> Iterator[Outcome]:
    """Every package "no known vulnerability" cannot be claimed for, as named gaps."""
    why = "; ".join(result.stale) or (
        "only the bundled ML advisories (a floor that can fail a package, never pass one) "
        "are loaded"
    )
    short = "; ".join(result.stale) or "no OSV snapshot: bundled floor only"
    gaps = [
        Gap(item=p, reason=GapReason.OUTSIDE_DATABASE, detail=short) for p in result.not_covered
    ]
    gaps += [
        Gap(item=p, reason=GapReason.UNSUPPORTED, detail="version set at install time")
        for p in result.unresolved
    ]
    gaps += [
        Gap(item=p, reason=GapReason.UNSUPPORTED, detail="no exact version pinned or locked")
        for p in result.unknown_version
    ]
    gaps += [
        Gap(item=p, reason=GapReason.UNPARSEABLE, detail="version is not PEP 440")
        for p in result.undecidable
    ]
    if not gaps:
        return
    parts = []
    if result.not_covered:
        shown = ", ".join(result.not_covered[:12])
        more = len(result.not_covered) - 12
        parts.append(
            f"{len(result.not_covered)} package version(s) have no current, complete advisory "
            f"data ({why}): {shown}"
            + (f" and {more} more" if more > 0 else "")
            + ". Run 'mlsvs advisories update' (or set [advisories] online = true with "
            "--allow network)"
        )
    if result.unresolved:
        parts.append(
            f"the version of {', '.join(result.unresolved)} comes from an environment variable "
            "at install time"
        )
    if result.unknown_version:
        parts.append(
            f"{len(result.unknown_version)} package(s) have no exact version, so they cannot be "
            f"checked for known vulnerabilities: {', '.join(result.unknown_version[:12])}"
        )
    if result.undecidable:
        parts.append(
            f"versions that are not PEP 440 cannot be matched: {', '.join(result.undecidable)}"
        )
    yield not_verified(
        "; ".join(parts),
        gaps,
        key="coverage",
        facts=(
            ("uncovered", ",".join(g.item for g in gaps)),
            *db_facts,
        ),
    )


@check(
    id="MLC422",
    title="No dependency is pinned to a version with a known vulnerability",
    requirements=["M3.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Upgrade to a fixed version. For complete coverage keep a current OSV "
    "snapshot ('mlsvs advisories update', at most max_age_days old) or query the OSV API "
    "([advisories] online = true, --allow network).",
)
def no_known_vulnerable_dependencies(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Match pinned and locked versions against the OSV export (or API) and bundled advisories.

    Passes only when a complete, current database covers every pinned package; the bundled
    records can fail a package but never pass one.
    """
    from mlsvs.supply.advisories import parse_settings
    from mlsvs.supply.audit import audit, versions_in_use

    manifests, errors = _parse(project)
    yield from errors
    yield from _problem_outcomes(manifests)
    try:
        settings = parse_settings(ctx.section("advisories"), root=project.root)
        databases = _databases(settings, manifests)
    except AdvisoryError as exc:
        message = relative(exc.diagnostics(), project.root)
        yield errored(f"advisory database unusable: {message}", key="databases")
        return
    if not manifests.manifests:
        db_facts = tuple(f for db in databases for f in db.facts())
        if not errors:
            yield abstained("no dependency manifest (MLC420 reports that)", facts=db_facts)
        return
    if settings.online:
        if not ctx.granted(Capability.NETWORK):
            yield errored(
                "[advisories] online = true needs the network capability (--allow network); "
                "using the local databases only",
                key="online",
            )
        else:
            from mlsvs.supply.online import lookup

            pinned, _ = versions_in_use(manifests.dependencies)
            online = lookup(pinned, api=settings.api_url)
            databases = (*databases, online.database)
            if online.failed:
                yield not_verified(
                    f"the OSV API could not answer for {len(online.failed)} package(s)",
                    [
                        Gap(item=pair, reason=GapReason.UNREADABLE, detail=reason[:300])
                        for pair, reason in online.failed
                    ],
                    key="osv-api",
                )
    db_facts = tuple(f for db in databases for f in db.facts())
    now = dt.datetime.combine(ctx.today, dt.time(23, 59, 59), tzinfo=dt.UTC)
    result = audit(manifests.dependencies, databases, now=now, max_age_days=_max_age(ctx, settings))
    for hit in result.hits:
        aliases = sorted({i for _, a in hit.advisories for i in a.ids} - set(hit.ids))
        summaries = "; ".join(f"{a.id}: {a.summary}" for _, a in hit.advisories[:3])
        yield failed(
            f"{hit.name} {hit.version} ({', '.join(hit.sources)}) has known vulnerabilities: "
            f"{summaries}",
            key=f"{hit.name}=={hit.version}",
            facts=tuple(
                sorted(
                    (
                        ("advisories", ",".join(hit.ids)),
                        ("aliases", ",".join(aliases)),
                        ("databases", ",".join(sorted({d for d, _ in hit.advisories}))),
                        ("package", hit.name),
                        ("sources", ",".join(hit.sources)),
                        ("version", hit.version),
                        *db_facts,
                    )
                )
            ),
        )
    yield from _coverage_outcome(result, db_facts)
    if result.verified_clean and not manifests.problems:
        names = ", ".join(f"{db.name} {db.date}" for db in databases if db.complete)
        yield passed(
            f"{result.checked} pinned package version(s) have no known vulnerability ({names})",
            key="audit",
            facts=(("checked", str(result.checked)), *db_facts),
        )
