"""Dependency checks: exact pins (M3.2.1), hashes (M3.2.2), known vulnerabilities (M3.2.3)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import (
    Capability,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
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
        errored(message, key=path, facts=(("file", path),)) for path, message in manifests.errors
    ]
    return manifests, errors


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


def _problem_outcomes(manifests: ManifestSet) -> Iterator[Outcome]:
    """One "not verified" outcome per manifest with entries that could not be read."""
    by_file: dict[str, list[str]] = {}
    for path, line, message in manifests.problems:
        by_file.setdefault(path, []).append(f"{path}:{line}: {message}" if line else message)
    for path, items in sorted(by_file.items()):
        yield errored(
            f"{path}: {len(items)} entr(ies) could not be read, so they are not verified: "
            + "; ".join(items[:5]),
            key=f"problems:{path}",
            facts=(("file", path), ("uncovered", str(len(items)))),
        )


def _coverage_outcome(result: AuditResult, db_facts: Facts) -> Iterator[Outcome]:
    if result.not_covered:
        why = "; ".join(result.stale) or (
            "only the bundled ML advisories (a floor that can fail a package, never pass one) "
            "are loaded"
        )
        yield errored(
            f"not verified: {len(result.not_covered)} package version(s) have no current, "
            f"complete advisory data ({why}): {', '.join(result.not_covered[:12])}"
            + (f" and {len(result.not_covered) - 12} more" if len(result.not_covered) > 12 else "")
            + ". Run 'mlsvs advisories update' (or set [advisories] online = true with "
            "--allow network).",
            key="not-covered",
            facts=(("uncovered", ",".join(result.not_covered)), *db_facts),
        )
    if result.unresolved:
        yield errored(
            f"not verified: the version of {', '.join(result.unresolved)} comes from an "
            "environment variable at install time",
            key="unresolved",
            facts=(("uncovered", ",".join(result.unresolved)), *db_facts),
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
            yield not_applicable("no dependency manifest (MLC420 reports that)", facts=db_facts)
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
            for pair, reason in online.failed:
                yield errored(f"OSV API could not answer for {pair}: {reason}", key=f"api:{pair}")
    db_facts = tuple(f for db in databases for f in db.facts())
    now = dt.datetime.combine(ctx.today, dt.time(23, 59, 59), tzinfo=dt.UTC)
    result = audit(manifests.dependencies, databases, now=now, max_age_days=settings.max_age_days)
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
    if result.unknown_version:
        yield errored(
            f"{len(result.unknown_version)} package(s) have no exact version, so they cannot be "
            f"checked for known vulnerabilities: {', '.join(result.unknown_version[:12])}",
            key="unknown-version",
            facts=(("packages", ",".join(result.unknown_version)), *db_facts),
        )
    if result.undecidable:
        yield errored(
            f"versions that are not PEP 440 cannot be matched: {', '.join(result.undecidable)}",
            key="undecidable",
            facts=(("packages", ",".join(result.undecidable)), *db_facts),
        )
    yield from _coverage_outcome(result, db_facts)
    if result.verified_clean and not manifests.problems:
        names = ", ".join(f"{db.name} {db.date}" for db in databases if db.complete)
        yield passed(
            f"{result.checked} pinned package version(s) have no known vulnerability ({names})",
            key="audit",
            facts=(("checked", str(result.checked)), *db_facts),
        )
