"""Which version of a package a project runs: pinned or locked first, then the environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from mlsvs.model.artifact import Project
    from mlsvs.supply.manifests import ManifestSet


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageVersion:
    """A version and where it came from."""

    name: str
    version: str
    source: str
    """Manifest path (``requirements.txt:3``) or ``installed`` (the running environment)."""

    def at_least(self, minimum: str) -> bool | None:
        """``version >= minimum``; None when the version is not PEP 440 (cannot decide)."""
        from packaging.version import InvalidVersion, Version

        try:
            return Version(self.version) >= Version(minimum)
        except InvalidVersion:
            return None


def pinned_version(manifests: ManifestSet, name: str) -> PackageVersion | None:
    """The lowest exact version of ``name`` pinned or locked in the manifests (conservative)."""
    from packaging.version import InvalidVersion, Version

    wanted = canonical(name)
    found: list[tuple[Version, PackageVersion]] = []
    for dep in manifests.dependencies:
        if dep.name != wanted or dep.version is None:
            continue
        where = dep.source if dep.line is None else f"{dep.source}:{dep.line}"
        try:
            key = Version(dep.version)
        except InvalidVersion:
            continue
        found.append((key, PackageVersion(name=wanted, version=dep.version, source=where)))
    return min(found, key=lambda item: item[0])[1] if found else None


def installed_or_pinned_version(project: Project, name: str) -> PackageVersion | None:
    """The version of ``name`` the project declares (pinned/locked), else the installed one.

    Code rules use it to decide version-dependent mitigations, e.g. ``torch.load(...,
    weights_only=True)`` protects only from torch 2.6 (CVE-2025-32434). Manifests that fail to
    parse are skipped here; the dependency checks report them. ``None`` means unknown: callers
    must treat that as "not mitigated" (fail closed).
    """
    from importlib import metadata

    from mlsvs.supply.manifests import parse_project

    pinned = pinned_version(parse_project(project), name)
    if pinned is not None:
        return pinned
    try:
        return PackageVersion(
            name=canonical(name), version=metadata.version(name), source="installed"
        )
    except metadata.PackageNotFoundError:
        return None
