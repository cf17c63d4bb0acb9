"""The public Python API: assess a project, load the catalog, render an assessment.

Example (docs/api.md has more; the tests run them)::

    from mlsvs.api import Overrides, assess, render

    assessment = assess("path/to/project", overrides=Overrides(level="L2"))
    print(assessment.achieved_level, assessment.target_met)
    render(assessment, "sarif", "mlsvs.sarif")
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError, UsageError
from mlsvs.model.artifact import Capability
from mlsvs.model.catalog import Level

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mlsvs.config import Config
    from mlsvs.discovery import Discovery
    from mlsvs.engine.events import EventSink
    from mlsvs.model.assessment import Assessment
    from mlsvs.model.catalog import Standard

__all__ = ["Overrides", "assess", "load_catalog", "load_config_for", "render"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Overrides:
    """Command-line settings that take precedence over the configuration file."""

    level: str | None = None
    allow: tuple[str, ...] = ()
    jobs: int | None = None
    attestations: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    standard: str | None = None
    """Standard version to verify against (beats the profile's and the config's)."""
    profile: Path | None = None
    """Verification profile of the buyer or assessor (parameter assignments)."""
    evidence_reports: tuple[Path, ...] = ()
    """Other tools' reports handed over by whoever runs mlsvs (``--evidence-report``)."""


def load_catalog(version: str | None = None) -> Standard:
    """The bundled standard (newest final version by default)."""
    from mlsvs.catalog import load_standard

    return load_standard(version)


def load_config_for(
    root: Path, config_file: Path | None = None, overrides: Overrides | None = None
) -> Config:
    """The configuration of the project at ``root`` with command-line overrides applied."""
    import os

    from mlsvs.config import load_config

    config = load_config(root, config_file)
    changes: dict[str, object] = {}
    env_jobs = os.environ.get("MLSVS_JOBS")
    if env_jobs:
        if not env_jobs.isdigit():
            raise ConfigError(f"MLSVS_JOBS must be an integer, got {env_jobs!r}")
        changes["jobs"] = int(env_jobs)
    o = overrides or Overrides()
    if o.level:
        try:
            changes["level"] = Level.parse(o.level)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    # Capabilities are granted by whoever runs mlsvs, never by the project being verified: a
    # hostile repository must not be able to make CI load its model code or send requests.
    # The file's `allow` only records what the project asks for (shown in skip reasons).
    changes["allow"] = _capabilities(o.allow)
    if o.jobs is not None:
        changes["jobs"] = o.jobs
    if o.attestations:
        changes["attestations"] = o.attestations
    if o.select:
        changes["select"] = o.select
    if o.ignore:
        changes["ignore"] = config.ignore + o.ignore
    if o.traits:
        changes["traits"] = config.traits | frozenset(o.traits)
        # A trait declared on the command line overrides the file's denial of it.
        changes["denied_traits"] = {
            k: v for k, v in config.denied_traits.items() if k not in set(o.traits)
        }
    # Reports named on the command line were produced by whoever runs mlsvs, so their file
    # time may date an undated format; the project's own file can never claim that.
    evidence = dict(config.settings.get("evidence", {}))
    evidence["_cli_reports"] = [str(p.resolve()) for p in o.evidence_reports]
    changes["settings"] = {**config.settings, "evidence": evidence}
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def assess(
    path: str | Path,
    *,
    config_file: Path | None = None,
    overrides: Overrides | None = None,
    sink: EventSink | None = None,
    today: dt.date | None = None,
) -> Assessment:
    """Verify the project at ``path`` and return the complete assessment."""
    from mlsvs.discovery import discover
    from mlsvs.engine.assess import assess_project
    from mlsvs.engine.profile import load_profile, resolve
    from mlsvs.engine.registry import load_registry
    from mlsvs.model.assessment import Problem, ProblemKind

    root = Path(path)
    o = overrides or Overrides()
    config = load_config_for(root, config_file, o)
    profile = load_profile(o.profile) if o.profile is not None else None
    if profile is not None and profile.level is not None and not o.level:
        # The buyer's or assessor's target level beats the verified project's own choice.
        config = dataclasses.replace(config, level=profile.level)
    wanted = o.standard or (profile.standard if profile is not None else None) or config.standard
    standard = load_catalog(wanted)
    parameters = resolve(standard, config.level, profile)
    unknown_traits = sorted(
        (config.traits | set(config.denied_traits)) - {t.id for t in standard.tags}
    )
    if unknown_traits:
        known = ", ".join(t.id for t in standard.tags)
        raise ConfigError(
            f"unknown trait(s) {', '.join(unknown_traits)} (known: {known})", path=config.source
        )
    registry = load_registry(standard)
    discovery = discover(root, config)
    _require_something(discovery, root)
    extra: list[Problem] = []
    if config.source is None:
        extra.append(
            Problem(
                kind=ProblemKind.CONFIG,
                message="no mlsvs.toml or [tool.mlsvs] found: defaults used "
                "(no traits declared, target L1); run 'mlsvs init'",
            )
        )
    return assess_project(
        discovery,
        config,
        standard,
        registry,
        root_label=str(path),
        today=today or dt.datetime.now(dt.UTC).date(),
        now=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0),
        sink=sink,
        extra_problems=extra,
        parameters=parameters,
        profile=profile.ref() if profile is not None else None,
    )


def _require_something(discovery: Discovery, root: Path) -> None:
    """Exit 2 with a reason when the project holds nothing any check could assess."""
    from mlsvs.errors import DiscoveryError

    project = discovery.project
    if project.artifacts or project.endpoints:
        return
    if project.gaps:
        reasons = sorted({g.reason.value for g in project.gaps})
        raise DiscoveryError(
            f"nothing to assess: no file could be read or classified "
            f"({len(project.gaps)} path(s) skipped: {', '.join(reasons)})",
            path=str(root),
        )
    raise DiscoveryError(
        "nothing to assess: no models, datasets, source, manifests, cards, configs or "
        "endpoints found",
        path=str(root),
    )


def _capabilities(names: Iterable[str]) -> frozenset[Capability]:
    granted: set[Capability] = set()
    for raw in names:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            try:
                granted.add(Capability(name))
            except ValueError:
                known = ", ".join(c.value for c in Capability)
                raise UsageError(f"unknown capability {name!r} (known: {known})") from None
    return frozenset(granted)


def render(assessment: Assessment, fmt: str, path: str | Path = "-") -> tuple[str, ...]:
    """Write ``assessment`` in ``fmt`` (``json``, ``sarif``, ``junit``, ``markdown``, ``html``,
    ``cyclonedx``, ``terminal`` or a plugin renderer) to ``path`` (``-``: stdout); returns the
    files written. A partial (interrupted) assessment goes to ``*.partial.*``, never over a
    complete report."""
    from mlsvs.catalog.titles import requirement_titles
    from mlsvs.render.base import parse_output_specs, write_outputs

    specs = parse_output_specs([f"{fmt}:{path}" if str(path) != "-" else fmt])
    titles = requirement_titles(assessment.standard.version)
    return write_outputs(assessment, specs, requirement_titles=titles)
