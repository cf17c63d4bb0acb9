"""Credentials in code, notebooks (cells, outputs, metadata), configs and model metadata."""

from __future__ import annotations

import fnmatch
import stat
from typing import TYPE_CHECKING

from mlsvs.checks.code._common import error_gap
from mlsvs.codescan.files import collect
from mlsvs.codescan.secrets import scan_secrets_file
from mlsvs.codescan.secrets.files import wanted
from mlsvs.plugin import (
    CardDocument,
    DatasetArtifact,
    DependencyManifest,
    DeploymentConfig,
    Document,
    Gap,
    Location,
    ModelArtifact,
    ModelFormat,
    OptionError,
    Project,
    Severity,
    SourceFile,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome

_TEXT_ARTIFACTS = (SourceFile, CardDocument, DeploymentConfig, DependencyManifest, Document)


def _patterns(ctx: CheckContext) -> tuple[str, ...]:
    empty: list[object] = []
    raw = ctx.option("exclude", empty)
    if not all(isinstance(p, str) for p in raw):
        raise OptionError("option 'exclude' must be a list of glob patterns")
    return tuple(str(p) for p in raw)


def files_to_scan(project: Project, exclude: tuple[str, ...]) -> list[tuple[Path, str]]:
    """Discovered text artifacts and safetensors models, plus config-like files under the
    root; dataset files are left to the dataset PII checks."""
    datasets = {a.path for a in project.of_type(DatasetArtifact)}
    chosen: dict[str, Path] = {}
    for artifact in project.artifacts:
        if not _regular(artifact.absolute):
            continue
        inert_model = (
            isinstance(artifact, ModelArtifact) and artifact.format is ModelFormat.SAFETENSORS
        )
        text = isinstance(artifact, _TEXT_ARTIFACTS) or inert_model
        if text and artifact.absolute.is_file():
            chosen[artifact.path] = artifact.absolute
    root = project.root
    for file, _display in collect([root], wanted):
        if not _regular(file):
            continue  # FIFOs and devices are never opened (discovery reports them)
        rel = file.relative_to(root).as_posix()
        chosen.setdefault(rel, file)
    return [
        (chosen[rel], rel)
        for rel in sorted(chosen)
        if rel not in datasets and not any(fnmatch.fnmatch(rel, p) for p in exclude)
    ]


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


@check(
    id="MLC310",
    title="No credentials in code, notebooks, configs or model metadata",
    requirements=["M3.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Revoke every reported credential, purge it from history (and notebook "
    "outputs), and load secrets from the environment or a secret manager.",
)
def no_committed_credentials(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Find Hugging Face, OpenAI, Anthropic, AWS, GCP, Azure, GitHub, Slack, Stripe and W&B
    credentials, private keys and high-entropy password/token assignments. Evidence is masked.

    Options: ``exclude`` (glob patterns relative to the root), ``min_entropy`` (bits per
    character for generic assignments, default 3.0).
    """
    min_entropy = ctx.option("min_entropy", 3.0)
    files = files_to_scan(project, _patterns(ctx))
    hits = 0
    gaps: list[Gap] = []
    for file, display in files:
        result = scan_secrets_file(file, display=display, min_entropy=min_entropy)
        gaps.extend(error_gap(display, error) for error in result.errors)
        for located in result.hits:
            hit = located.hit
            hits += 1
            where = Location(
                member=display, pointer=located.pointer, line=hit.line, column=hit.column
            )
            yield failed(
                f"{hit.kind.value} in {display}: {hit.masked}: {hit.excerpt}",
                location=where,
                severity=hit.severity,
                rule=hit.rule,
                key=f"{display}:{located.pointer or ''}:{hit.line}:{hit.column}:{hit.rule}",
                facts=(("kind", hit.kind.value), ("masked", hit.masked), ("path", display)),
            )
    if hits:
        return
    if gaps:
        scanned = len(files) - len({g.item for g in gaps})
        yield not_verified(
            f"no credentials in {scanned} file(s); {len({g.item for g in gaps})} could not be "
            "scanned",
            gaps,
        )
    else:
        yield passed(f"no credentials in {len(files)} file(s)")
