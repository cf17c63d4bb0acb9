"""Dependency checks: exact pins (M3.2.1), hashes (M3.2.2), known vulnerabilities (M3.2.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import Project, Severity, check, errored, failed, not_applicable, passed
from mlsvs.supply.errors import AdvisoryError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Facts, Outcome
    from mlsvs.supply.advisories import AdvisoryDatabase
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
        else:
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


def _databases(ctx: CheckContext, root: Path) -> tuple[AdvisoryDatabase, ...]:
    from mlsvs.supply.advisories import cache_dir, load_databases

    section = ctx.section("advisories")
    osv = section.get("osv")
    if osv is not None and not isinstance(osv, str):
        raise AdvisoryError("[advisories] osv must be a path string")
    use_cache = section.get("use_cache", True)
    if not isinstance(use_cache, bool):
        raise AdvisoryError("[advisories] use_cache must be true or false")
    return load_databases(osv=root / osv if osv else None, cache=cache_dir() if use_cache else None)


@check(
    id="MLC422",
    title="No dependency is pinned to a version with a known vulnerability",
    requirements=["M3.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Upgrade to a fixed version. For complete coverage import a current OSV "
    "snapshot: 'mlsvs advisories import PyPI-all.zip'.",
)
def no_known_vulnerable_dependencies(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Match pinned and locked versions against bundled ML advisories and an OSV snapshot."""
    from mlsvs.supply.audit import audit

    manifests, errors = _parse(project)
    yield from errors
    try:
        databases = _databases(ctx, project.root)
    except AdvisoryError as exc:
        message = relative(exc.diagnostics(), project.root)
        yield errored(f"advisory database unusable: {message}", key="databases")
        return
    db_facts = tuple(f for db in databases for f in db.facts())
    if not manifests.manifests:
        if not errors:
            yield not_applicable("no dependency manifest (MLC420 reports that)", facts=db_facts)
        return
    result = audit(manifests.dependencies, databases)
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
    if not result.hits and not result.unknown_version and not result.undecidable:
        names = ", ".join(f"{db.name} {db.date}" for db in databases)
        yield passed(
            f"{result.checked} pinned package version(s) have no known vulnerability ({names})",
            key="audit",
            facts=(("checked", str(result.checked)), *db_facts),
        )
