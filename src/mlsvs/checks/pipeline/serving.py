"""Production loads only registered artifacts (M4.2.4).

Serving code is the code discovery saw serving a model (an app object of a web framework, a
model server) and modules named like servers (``serve.py``, ``app.py``, ``inference.py`` ...).
Every model it loads must come from a registry URI (``models:/...``) or an internal store, or a
local file covered by a hash manifest (``SHA256SUMS``, the M4.3.1 manifest); none may come from
a public hub, a URL or a request parameter. Serving code that imports a hub library must run
with hub offline mode (``HF_HUB_OFFLINE=1``) set in the deployment.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._serving import HUB_LIBRARIES, ServingCode, Source, analyse
from mlsvs.checks.pipeline._yaml import DocumentError, read_text
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.plugin import (
    DeploymentConfig,
    Document,
    DocumentKind,
    Gap,
    GapReason,
    ModelArtifact,
    Project,
    Severity,
    SourceFile,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import Artifact, CheckContext, Outcome

_SERVER_NAMES = re.compile(r"^(serve|server|serving|app|main|inference|predict|api)\w*\.py$")
_OFFLINE = re.compile(
    r"(HF_HUB_OFFLINE|TRANSFORMERS_OFFLINE)[\"']?\s*[=:]\s*[\"']?(1|true|yes)", re.I
)
_MANIFEST_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+)$")


def serving_files(project: Project) -> list[SourceFile]:
    """Code that serves a model: by discovery's trait evidence, else by conventional name."""
    serving = {e.path for e in project.trait_evidence if e.trait == "exposes_inference_api"}
    return [
        s
        for s in project.of_type(SourceFile)
        if s.path in serving or _SERVER_NAMES.match(PurePosixPath(s.path).name)
    ]


def manifest_paths(project: Project) -> tuple[set[str], list[Gap]]:
    """Files listed with a digest in the project's SHA256SUMS-style manifests."""
    listed: set[str] = set()
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        if doc.document != DocumentKind.CHECKSUMS:
            continue
        try:
            text = read_text(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        for line in text.splitlines():
            match = _MANIFEST_LINE.match(line.strip())
            if match:
                listed.add(PurePosixPath(match.group(2).strip()).as_posix())
    return listed, gaps


def offline_mode(project: Project) -> bool:
    """Whether a deployment file or the code sets hub offline mode."""
    items: list[Artifact] = [*project.of_type(DeploymentConfig), *project.of_type(SourceFile)]
    for item in items:
        try:
            if _OFFLINE.search(read_text(item.absolute, item.path)):
                return True
        except DocumentError:
            continue
    return False


def _covered(reference: str, listed: set[str]) -> bool:
    name = PurePosixPath(reference.replace("\\", "/")).name
    return any(PurePosixPath(p).name == name for p in listed)


def judge(
    path: str, code: ServingCode, listed: set[str], offline: bool
) -> tuple[list[str], list[str]]:
    """(problems, unknowns) of one serving module."""
    problems: list[str] = []
    unknown: list[str] = []
    for load in code.loads:
        where = f"{path}:{load.line} {load.call}"
        if load.source in {Source.HUB, Source.URL, Source.REQUEST}:
            problems.append(f"{where} loads from a {load.source.value} ({load.reference!r})")
        elif load.source is Source.UNKNOWN:
            unknown.append(f"{where} ({load.reference})")
        elif load.source is Source.LOCAL and not _covered(load.reference, listed):
            problems.append(f"{where} loads {load.reference!r}, which no hash manifest covers")
    hub = sorted(set(HUB_LIBRARIES) & code.imports)
    if hub and not offline:
        problems.append(f"{path} imports {', '.join(hub)} but no deployment sets HF_HUB_OFFLINE=1")
    return problems, unknown


@check(
    id="MLC867",
    title="Serving code loads models only from a registry or a manifest-covered local path",
    requirements=["M4.2.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile, Document, DeploymentConfig),
    remediation="Load models from the registry (models:/name@alias) or a local file listed in "
    "SHA256SUMS; never from a hub id, URL or request field; set HF_HUB_OFFLINE=1 in the "
    "serving deployment.",
)
def serving_loads_registered(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Classify every model load in serving code by where it reads from."""
    files = serving_files(project)
    listed, gaps = manifest_paths(project)
    if not files:
        if any(isinstance(a, ModelArtifact | DeploymentConfig) for a in project.artifacts):
            # the loader lives in another repository: abstain, so an attestation may stand in
            yield abstained(
                "models or deployments are present but no serving code was found: the loader "
                "is not in this repository"
            )
        else:
            yield abstained("the project holds no serving code, model or deployment")
        return
    offline = offline_mode(project)
    for source in files:
        try:
            code = analyse(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        problems, unknown = judge(source.path, code, listed, offline)
        facts = tuple(
            ("load", f"{load.call} <- {load.source.value}: {load.reference}") for load in code.loads
        )
        if problems:
            yield failed("; ".join(problems), key=source.path, facts=facts)
        elif unknown:
            yield not_verified(
                f"{source.path}: the model path is chosen at run time: {'; '.join(unknown[:3])}",
                [
                    Gap(item=source.path, reason=GapReason.UNSUPPORTED, detail=u[:160])
                    for u in unknown
                ],
                key=source.path,
                facts=facts,
            )
        elif not code.loads:
            yield passed(f"{source.path}: loads no model", key=source.path, facts=facts)
        else:
            shown = ", ".join(sorted({load.reference for load in code.loads}))
            yield passed(
                f"{source.path}: loads only registry or manifest-covered local models ({shown})",
                key=source.path,
                facts=facts,
            )
    if gaps:
        yield not_verified("serving code or manifests could not be read", gaps)
